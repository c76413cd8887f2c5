"""A burst of publications to many WebSocket subscribers, through the real binary.

Broadcast requests pipelined in one write are read and fanned out in one loop iteration, so
each subscriber's send carries many frames, and the subscribers of one channel send from one
copy of them (docs/design.md, "io_uring flush", the default). The two channels' frames differ
only in the channel's last letter, so a copy matched by sizes alone would reach the wrong
subscribers. Every subscriber must get exactly its own channel's publications, in order,
whichever flush path the server uses.
"""
import json

import pytest

from harness import herald_server
from http_helpers import Client
from ws_util import Herald, run

CONFIG = """
[limits]
publish_rate = 10000000
"""

CHANNELS = ("public:burst-a", "public:burst-b")


def broadcast_request(channels, data):
    body = json.dumps({"channels": list(channels), "data": data})
    return (f"POST /api/broadcast HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n{body}")


@pytest.mark.parametrize("io_uring", ["true", "false"])
def test_a_pipelined_burst_reaches_every_subscriber_of_two_channels_exactly(io_uring):
    with herald_server("--set", f"server.io_uring={io_uring}", config=CONFIG) as s:
        async def go():
            # Subscribers of the two channels connect interleaved (a, a, b, a, a, b, ...); most
            # without permessage-deflate, so that both channels' frames have the same sizes, and
            # every fifth with it (another wire form, compressed once per publication).
            subs = {ch: [] for ch in CHANNELS}
            for i in range(15):
                ch = CHANNELS[1] if i % 3 == 2 else CHANNELS[0]
                h = await Herald.connect(s, **({} if i % 5 == 4 else {"compression": None}))
                assert "result" in await h.call("subscribe", channel=ch)
                subs[ch].append(h)
            sent = [{"i": i, "pad": f"{i:04d}" + "x" * 120} for i in range(24)]
            c = Client(s)
            c.send("".join(broadcast_request(CHANNELS, d) for d in sent))
            assert [c.response().status for _ in sent] == [200] * len(sent)
            c.close()
            for ch, hs in subs.items():
                for k, h in enumerate(hs):
                    got = [await h.push() for _ in sent]
                    assert [p["channel"] for p in got] == [ch] * len(sent), (ch, k)
                    assert [p["offset"] for p in got] == list(range(1, len(sent) + 1)), (ch, k)
                    assert [p["data"] for p in got] == sent, (ch, k)
            for hs in subs.values():
                for h in hs:
                    await h.close()
        run(go())
