"""An independent legacy relay executor, behaving like upstream's shipped endpoint: registers with
the registry, serves JSON-RPC over relay frames built with Google's protobuf library, numbers its
data frames from 0 per stream, never sets ack, never segments, never retransmits, and records as a
violation any inbound data frame with segment_count != 1 (upstream refuses those).

usage: python-legacy-executor.py PB2_DIR REGISTRY_BASE EXECUTOR_ID TOKEN
Prints "ready" once connected; on stdin EOF prints a JSON summary and exits.
"""
import asyncio
import json
import sys
import urllib.request

sys.path.insert(0, sys.argv[1])
from codex.exec_server.relay.v1 import relay_pb2  # noqa: E402
import websockets  # noqa: E402


def register(base, executor_id, token):
    request = urllib.request.Request(f"{base}/cloud/executor/{executor_id}/register", method="POST",
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())["url"]


async def main(base, executor_id, token):
    url = register(base, executor_id, token)
    seqs = {}
    seen_requests = []
    violations = []
    async with websockets.connect(url, max_size=None) as ws:
        async def reply(stream_id, obj):
            frame = relay_pb2.RelayMessageFrame(version=1, stream_id=stream_id)
            frame.data.seq = seqs.get(stream_id, 0)
            seqs[stream_id] = frame.data.seq + 1
            frame.data.segment_count = 1
            frame.data.payload = json.dumps(obj, separators=(",", ":")).encode()
            await ws.send(frame.SerializeToString())

        async def serve():
            async for raw in ws:
                frame = relay_pb2.RelayMessageFrame()
                frame.ParseFromString(raw)
                if frame.WhichOneof("body") != "data":
                    continue
                if frame.data.segment_count != 1:
                    violations.append(f"segment_count {frame.data.segment_count}")
                    continue
                message = json.loads(frame.data.payload)
                if "id" not in message:
                    continue
                seen_requests.append(message["id"])
                if message["method"] == "initialize":
                    await reply(frame.stream_id, {"id": message["id"], "result": {"sessionId": "legacy-session"}})
                elif message["method"] == "test/echo":
                    await reply(frame.stream_id, {"id": message["id"], "result": message["params"]})
                else:
                    await reply(frame.stream_id, {"id": message["id"], "error": {"code": -32601, "message": "unknown"}})

        server = asyncio.ensure_future(serve())
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        server.cancel()
    print(json.dumps({"requests": seen_requests, "violations": violations}), flush=True)


asyncio.run(main(sys.argv[2], sys.argv[3], sys.argv[4]))
