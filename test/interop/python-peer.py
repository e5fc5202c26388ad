"""Independent peers for interop tests (run with /usr/bin/python3, Debian's python3-websockets and
python3-protobuf). Two modes:

  python-peer.py session WS_URL CWD    -> a JSON-RPC session over a plain websocket; prints a JSON summary
  python-peer.py frames PB2_DIR        -> reads hex frames on stdin (one per line), decodes each with
                                          Google's protobuf library, prints one JSON object per frame
"""
import asyncio
import base64
import json
import sys


async def session(url, cwd):
    import websockets

    async with websockets.connect(url, max_size=None) as ws:
        async def call(i, method, params):
            await ws.send(json.dumps({"id": i, "method": method, "params": params}))
            while True:
                message = json.loads(await ws.recv())
                if message.get("id") == i:
                    return message
                notes.append(message)

        notes = []
        init = await call(1, "initialize", {"clientName": "python-websockets"})
        await ws.send(json.dumps({"method": "initialized"}))
        start = await call(2, "process/start", {
            "processId": "py", "argv": ["sh", "-c", "echo from-python-peer; exit 4"],
            "cwd": cwd, "env": {}, "tty": False,
        })
        while not any(n.get("method") == "process/closed" for n in notes):
            notes.append(json.loads(await asyncio.wait_for(ws.recv(), 10)))
        # Binary frame with UTF-8 JSON, as the contract allows.
        await ws.send(json.dumps({"id": 3, "method": "fs/getMetadata", "params": {"path": cwd}}).encode())
        while True:
            meta = json.loads(await asyncio.wait_for(ws.recv(), 10))
            if meta.get("id") == 3:
                break
        output = "".join(base64.b64decode(n["params"]["chunk"]).decode()
                         for n in notes if n.get("method") == "process/output")
        exited = [n["params"] for n in notes if n.get("method") == "process/exited"]
        print(json.dumps({
            "sessionId": init["result"]["sessionId"],
            "start": start.get("result"),
            "output": output,
            "exitCode": exited[0]["exitCode"] if exited else None,
            "order": [n["method"] for n in notes if n.get("method", "").startswith("process/")],
            "metadataIsDirectory": meta["result"]["isDirectory"],
        }))


def frames(pb2_dir):
    sys.path.insert(0, pb2_dir)
    from google.protobuf import json_format
    from codex.exec_server.relay.v1 import relay_pb2

    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        frame = relay_pb2.RelayMessageFrame()
        frame.ParseFromString(bytes.fromhex(line))
        out = json_format.MessageToDict(frame)
        out["hasAck"] = frame.HasField("ack")
        out["reencoded"] = frame.SerializeToString().hex()
        print(json.dumps(out))


if __name__ == "__main__":
    if sys.argv[1] == "session":
        asyncio.run(session(sys.argv[2], sys.argv[3]))
    else:
        frames(sys.argv[2])
