"""An independent legacy relay harness, written the way upstream's shipped endpoint behaves:
frames built with Google's protobuf library, `resume {next_seq: 0}` first, then whole messages as
data frames with seq 0, 1, 2, ..., ack never set, segment_count always 1. It refuses (records as a
violation) any inbound data frame with segment_count != 1, exactly like upstream.

usage: python-legacy-harness.py PB2_DIR HARNESS_URL CWD   -> prints a JSON summary
"""
import asyncio
import base64
import json
import sys
import uuid

sys.path.insert(0, sys.argv[1])
from codex.exec_server.relay.v1 import relay_pb2  # noqa: E402
import websockets  # noqa: E402


async def main(url, cwd):
    stream_id = str(uuid.uuid4())
    seq = 0
    frames_in = []
    violations = []
    messages = []

    async with websockets.connect(url, max_size=None) as ws:
        async def send_frame(frame):
            await ws.send(frame.SerializeToString())

        async def send_message(obj):
            nonlocal seq
            frame = relay_pb2.RelayMessageFrame(version=1, stream_id=stream_id)
            frame.data.seq = seq
            frame.data.segment_index = 0
            frame.data.segment_count = 1
            frame.data.payload = json.dumps(obj, separators=(",", ":")).encode()
            seq += 1
            await send_frame(frame)

        async def receive_until(predicate, timeout=10):
            while True:
                raw = await asyncio.wait_for(ws.recv(), timeout)
                if isinstance(raw, str):
                    violations.append("text frame")
                    continue
                frame = relay_pb2.RelayMessageFrame()
                frame.ParseFromString(raw)
                frames_in.append(frame.WhichOneof("body"))
                if frame.HasField("ack"):
                    violations.append("ack field sent to a legacy peer")
                body = frame.WhichOneof("body")
                if body == "data":
                    if frame.data.segment_count != 1:
                        violations.append(f"segment_count {frame.data.segment_count}")
                        continue
                    message = json.loads(frame.data.payload)
                    messages.append(message)
                    if predicate(message):
                        return message
                elif body in ("ack_frame", "resume", "heartbeat"):
                    violations.append(f"{body} frame sent to a legacy peer")

        resume = relay_pb2.RelayMessageFrame(version=1, stream_id=stream_id)
        resume.resume.next_seq = 0
        await send_frame(resume)
        await send_message({"id": 1, "method": "initialize", "params": {"clientName": "legacy-python"}})
        init = await receive_until(lambda m: m.get("id") == 1)
        await send_message({"method": "initialized", "params": {}})
        # A result large enough that a reliable endpoint would segment it (> 60 KiB).
        await send_message({"id": 2, "method": "process/start", "params": {
            "processId": "legacy", "argv": ["sh", "-c", "head -c 200000 /dev/zero | tr '\\0' x; echo; exit 5"],
            "cwd": cwd, "env": {}, "tty": False}})
        await receive_until(lambda m: m.get("method") == "process/closed", timeout=20)
        await send_message({"id": 3, "method": "process/read", "params": {"processId": "legacy"}})
        read = await receive_until(lambda m: m.get("id") == 3)
        await asyncio.sleep(1.5)  # anything a reliable endpoint would retransmit shows up here
        try:
            while True:
                raw = await asyncio.wait_for(ws.recv(), 0.2)
                frame = relay_pb2.RelayMessageFrame()
                frame.ParseFromString(raw)
                body = frame.WhichOneof("body")
                frames_in.append(body)
                if body == "data":
                    violations.append("unexpected late data frame (retransmission?)")
        except asyncio.TimeoutError:
            pass

    output = "".join(base64.b64decode(m["params"]["chunk"]).decode()
                     for m in messages if m.get("method") == "process/output")
    seqs = [m["params"]["seq"] for m in messages if m.get("method", "").startswith("process/")]
    exited = [m["params"]["exitCode"] for m in messages if m.get("method") == "process/exited"]
    print(json.dumps({
        "sessionId": init.get("result", {}).get("sessionId"),
        "outputLength": len(output),
        "exitCodes": exited,
        "seqsUnique": len(seqs) == len(set(seqs)),
        "readChunks": len(read["result"]["chunks"]),
        "violations": violations,
    }))


asyncio.run(main(sys.argv[2], sys.argv[3]))
