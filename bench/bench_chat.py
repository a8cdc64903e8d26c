"""Live chat fan-out: N visitors hold a server-sent-event stream open on one `guanxi serve` process;
agents answer a sample of them through the API. Two latencies: from the reply's POST to the visitor's
stream receiving it (end to end), and from the POST's answer (the reply committed) to the visitor
(fan-out). Target: 1,000 connections, p99 < 200 ms on loopback, judged end to end.

The load generator (Python asyncio, httpx) shares the machine with the server, so the figures
include its own scheduling delay. Each stream is woken by the in-process fan-out, which hands it the
reply's committed row (no database read); replies from other processes would reach it through the
server's one watch query a second (src/guanxi/conversations/watch.py). The fan-out figure is clamped
at 0: a stream often hears the reply before the agent's client has read the POST's answer.

    .venv/bin/python bench/bench_chat.py [--connections 1000] [--replies 300] [--backend sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import httpx

from common import (BIN, api_token, database, emit, free_port, guanxi_env, latency_ms, load_average, runtime_for,
                    say, scratch_dir, server, server_tree_rss_mb)

TARGET_P99_MS = 200


def _prepare(runtime, count: int) -> list[tuple[str, int]]:
    """(visitor token, conversation id) for `count` visitors who have each said hello."""
    from guanxi.conversations import livechat
    from guanxi.conversations.settings import ConversationSettings
    from guanxi.db import transaction

    cfg = ConversationSettings(_env_file=None)
    out = []
    with transaction(runtime.factory) as session:
        for i in range(count):
            visitor, token = livechat.start(session, runtime.secrets.session_secret)
            got = livechat.send(session, runtime.cipher, cfg, visitor, f"hello {i}")
            out.append((token, got.conversation.id))
    return out


async def _run(base: str, staff_token: str, visitors: list[tuple[str, int]], replies: int, rate: float) -> dict:
    received: dict[int, float] = {}
    connected = asyncio.Event()
    open_streams = 0
    limits = httpx.Limits(max_connections=len(visitors) + 50, max_keepalive_connections=len(visitors) + 50)
    timeout = httpx.Timeout(30, read=None)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) as client:

        async def listen(token: str, after: int):
            nonlocal open_streams
            async with client.stream("GET", "/api/v1/chat/stream",
                                     params={"visitor": token, "after": after, "seconds": 300}) as r:
                first = True
                async for line in r.aiter_lines():
                    if first:
                        first = False
                        open_streams += 1
                        if open_streams == len(visitors):
                            connected.set()
                    if line.startswith("data: "):
                        item = json.loads(line[6:])
                        if item["from"] == "shop":
                            received.setdefault(item["id"], time.monotonic())

        tasks = [asyncio.create_task(listen(token, 0)) for token, _ in visitors]
        opened = time.monotonic()
        await asyncio.wait_for(connected.wait(), 120)
        # Each stream reads twice as it starts (before its first line, and again once it listens, so that
        # nothing committed in between is missed): 1,000 streams opened at once keep the server busy for a
        # few seconds after the last first line. Measure the steady state: wait until /healthz answers
        # quickly five times running (at most 30 s), and report how long the catch-up took.
        calm = 0
        calm_deadline = time.monotonic() + 30
        while calm < 5 and time.monotonic() < calm_deadline:
            t = time.monotonic()
            await client.get("/healthz")
            calm = calm + 1 if time.monotonic() - t < 0.02 else 0
            await asyncio.sleep(0.1)
        settle_s = time.monotonic() - opened
        await asyncio.sleep(0.5)
        sent: dict[int, float] = {}
        headers = {"Authorization": f"Bearer {staff_token}"}
        step = len(visitors) / replies if replies < len(visitors) else 1

        # The agents' requests on their own connections (fresh each, so no keep-alive race with the server).
        agents = httpx.AsyncClient(base_url=base, timeout=30, limits=httpx.Limits(max_keepalive_connections=0))

        async def answer(conv_id: int):
            start = time.monotonic()
            r = await agents.post(f"/api/v1/conversations/{conv_id}/replies", json={"body": "您好，在的"},
                                  headers=headers)
            r.raise_for_status()
            sent[r.json()["id"]] = (start, time.monotonic())

        posts = []
        for k in range(replies):
            posts.append(asyncio.create_task(answer(visitors[int(k * step) % len(visitors)][1])))
            await asyncio.sleep(1 / rate)
        await asyncio.gather(*posts)
        await agents.aclose()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not all(m in received for m in sent):
            await asyncio.sleep(0.05)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    # From the reply's POST to the visitor (end to end), and from the POST's answer (the reply committed)
    # to the visitor: the fan-out itself; a stream may even hear it before the POST's answer arrives.
    end_to_end = [received[m] - start for m, (start, _) in sent.items() if m in received]
    fanout = [max(0.0, received[m] - done) for m, (_, done) in sent.items() if m in received]
    # Added with the hand-over fan-out (where the end-to-end time goes, since the fan-out figure is mostly 0):
    # the agents' POSTs themselves, and how many replies the stream heard before the POST's answer was read.
    posts_s = [done - start for start, done in sent.values()]
    return {"sent": len(sent), "received": len(end_to_end),
            "latency": latency_ms(end_to_end) if end_to_end else {},
            "fanout_latency": latency_ms(fanout) if fanout else {},
            "post_latency": latency_ms(posts_s) if posts_s else {},
            "heard_before_post_answer": sum(received[m] < done for m, (_, done) in sent.items() if m in received),
            "streams_open_and_settled_s": round(settle_s, 2)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--connections", type=int, default=1000)
    ap.add_argument("--replies", type=int, default=300)
    ap.add_argument("--rate", type=float, default=50.0, help="replies per second")
    ap.add_argument("--backend", choices=("sqlite", "postgresql"), default="postgresql")
    args = ap.parse_args()
    with scratch_dir("chat") as tmp, database(args.backend, "chat", tmp) as url:
        env = guanxi_env(tmp / "data", url)
        runtime = runtime_for(env)
        say(f"preparing {args.connections} visitors")
        visitors = _prepare(runtime, args.connections)
        staff = api_token(runtime, role="service")
        runtime.dispose()
        port = free_port()
        argv = [str(BIN / "guanxi"), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
        with server(argv, env, port, tmp / "guanxi.log") as proc:
            say(f"{args.connections} streams, {args.replies} replies at {args.rate}/s")
            try:
                figures = asyncio.run(_run(f"http://127.0.0.1:{port}", staff, visitors, args.replies, args.rate))
            except Exception:
                say("the run failed; the server's log ends:\n" + (tmp / "guanxi.log").read_text()[-3000:])
                raise
            rss = server_tree_rss_mb(proc)
    emit("chat_fanout", backend=args.backend, connections=args.connections, replies=args.replies, rate=args.rate,
         **figures, server_rss_mb=rss, target_p99_ms=TARGET_P99_MS,
         # Judged on end to end (from the agent's POST to the visitor), which includes the fan-out: the stricter reading.
         met=figures["received"] == figures["sent"] and figures["latency"].get("p99_ms", 1e9) < TARGET_P99_MS,
         load_average=load_average())


if __name__ == "__main__":
    main()
