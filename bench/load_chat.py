#!/usr/bin/env python
"""Bounded load test of the chat on loopback: real WebSocket and HTTP clients against the real stack.

    DATABASE_URL=postgresql://counseling:counseling@127.0.0.1:5432/counseling \\
    REDIS_URL=redis://127.0.0.1:6379/8 .venv/bin/python bench/load_chat.py [--pairs 100] [--duration 60]

At the chat benchmark's target (bench/chat_bench.py: 100 conversations = 200 sockets, 1 message per second
per socket) held for `--duration` seconds (at most 120), plus signed-in page loads over HTTP. It reuses the
benchmark's own database (`<name>_bench_chat`), cast and servers (Daphne for the clients, Uvicorn for the
counselors, bench/chat_asgi.py, Redis pub/sub layer, PostgreSQL); the chat's real settings otherwise
(the per-person rate limit stays at its default: 1 msg/s is 10 per 10 s, under the limit of 30).

It reports, for the measured window: messages sent, acknowledged, delivered live to the other socket;
**lost** = acknowledged but not in PostgreSQL afterwards (must be 0); not delivered live (an event the
at-most-once layer dropped: the page would resync it); error frames by code; sockets closed by the server;
p50/p99/max of send->ack and send->delivery; HTTP page loads, their status codes and p50/p99.
Not a test: a script, run by hand; it never leaves the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.chat_bench import bench_server, bench_stack, make_cast  # noqa: E402

WALL_CLOCK_LIMIT = 10 * 60


def pct(data: list[float], q: float) -> float:
    data = sorted(data)
    return data[min(len(data) - 1, int(q * len(data)))] if data else float("nan")


@dataclass
class Tally:
    sent: dict = field(default_factory=dict)  # client_msg_id -> (conversation pk, perf_counter_ns sent)
    acked: set = field(default_factory=set)
    delivered: set = field(default_factory=set)
    ack_ms: list = field(default_factory=list)
    delivery_ms: list = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)
    closed_early: Counter = field(default_factory=Counter)  # close code and reason of sockets that ended early
    http_ms: list = field(default_factory=list)
    http_status: Counter = field(default_factory=Counter)


async def run(cast, daphne, uvicorn, *, rate: float, duration: float, warmup: float, http_rps: float) -> Tally:
    from websockets.asyncio.client import connect

    tally = Tally()
    measuring = {"on": False}
    stop = asyncio.Event()
    gate = asyncio.Semaphore(20)

    async def open_socket(server, path, cookie):
        """Connect like chat.js: a failed handshake is retried (counted as an error) up to 3 times."""
        for attempt in range(3):
            try:
                async with gate:
                    ws = await connect(
                        f"ws://127.0.0.1:{server.port}{path}",
                        origin=f"http://127.0.0.1:{server.port}",
                        additional_headers={"Cookie": cookie},
                        open_timeout=60,
                        max_queue=None,
                    )
                    hello = json.loads(await ws.recv())
            except Exception as error:
                tally.errors[f"connect failed ({type(error).__name__})"] += 1
                if attempt == 2:
                    raise
                await asyncio.sleep(1)
                continue
            if hello.get("type") != "hello":
                raise RuntimeError(f"chat refused: {hello}")
            return ws

    async def sender(ws, conversation):
        await asyncio.sleep(__import__("random").random() / rate)
        next_at = time.perf_counter()
        while not stop.is_set():
            msg_id = str(uuid.uuid4())
            if measuring["on"]:
                tally.sent[msg_id] = (conversation, time.perf_counter_ns())
            try:
                await ws.send(json.dumps({"type": "send", "client_msg_id": msg_id, "body": f"load {msg_id[:8]}"}))
            except Exception:
                return
            next_at += 1 / rate
            await asyncio.sleep(max(0, next_at - time.perf_counter()))

    async def receiver(ws):
        try:
            async for raw in ws:
                now = time.perf_counter_ns()
                frame = json.loads(raw)
                kind, msg_id = frame.get("type"), frame.get("client_msg_id")
                if kind == "error":
                    tally.errors[frame.get("code")] += 1
                elif msg_id in tally.sent and kind in ("ack", "message"):
                    elapsed = (now - tally.sent[msg_id][1]) / 1e6
                    if kind == "ack" and msg_id not in tally.acked:
                        tally.acked.add(msg_id)
                        tally.ack_ms.append(elapsed)
                    elif kind == "message" and msg_id not in tally.delivered:
                        tally.delivered.add(msg_id)
                        tally.delivery_ms.append(elapsed)
        except Exception:
            pass
        if not stop.is_set():  # e.g. 1011 "keepalive ping timeout": the server did not answer a ping in 20 s
            tally.closed_early[f"{ws.close_code} {ws.close_reason or ''}".strip()] += 1

    pool = ThreadPoolExecutor(max_workers=4)
    pages = [(daphne.port, "/client/", pair["client"]) for pair in cast] + [
        (uvicorn.port, "/counselor/", pair["counselor"]) for pair in cast
    ]

    def fetch(port, path, cookie):
        started = time.perf_counter()
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Cookie": cookie})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # loopback only
                response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        except OSError:
            status = "failed"
        return status, (time.perf_counter() - started) * 1000

    async def browser():
        loop = asyncio.get_running_loop()
        i = 0
        pending = set()

        async def one(page):
            status, ms = await loop.run_in_executor(pool, fetch, *page)
            if measuring["on"]:
                tally.http_status[status] += 1
                tally.http_ms.append(ms)

        while not stop.is_set():
            task = asyncio.create_task(one(pages[i % len(pages)]))
            pending.add(task)
            task.add_done_callback(pending.discard)
            i += 1
            await asyncio.sleep(1 / http_rps)
        await asyncio.gather(*pending, return_exceptions=True)

    started = time.perf_counter()
    pairs = await asyncio.gather(
        *[
            asyncio.gather(
                open_socket(daphne, pair["path"], pair["client"]), open_socket(uvicorn, pair["path"], pair["counselor"])
            )
            for pair in cast
        ]
    )
    print(f"connected in {time.perf_counter() - started:.1f} s", flush=True)
    sockets, tasks = [], []
    for pair, (client, counselor) in zip(cast, pairs, strict=True):
        conversation = int(pair["path"].split("/")[3])
        sockets += [client, counselor]
        tasks += [
            asyncio.create_task(receiver(client)),
            asyncio.create_task(receiver(counselor)),
            asyncio.create_task(sender(client, conversation)),
            asyncio.create_task(sender(counselor, conversation)),
        ]
    print(f"{len(sockets)} sockets open; warming up {warmup:.0f} s, then measuring {duration:.0f} s", flush=True)
    http = asyncio.create_task(browser())
    await asyncio.sleep(warmup)
    measuring["on"] = True
    await asyncio.sleep(duration)
    measuring["on"] = False
    stop.set()
    await http
    await asyncio.sleep(5)  # drain what is in flight
    for ws in sockets:
        await ws.close()
    await asyncio.gather(*tasks, return_exceptions=True)
    pool.shutdown()
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=100, help="conversations (two sockets each), at most 300")
    parser.add_argument("--rate", type=float, default=1.0, help="messages per second per socket")
    parser.add_argument("--duration", type=float, default=60, help="measured seconds, at most 120")
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--http-rps", type=float, default=5, help="signed-in page loads per second")
    args = parser.parse_args()
    if not 1 <= args.pairs <= 300 or not 1 <= args.duration <= 120 or not 0 < args.rate <= 5:
        sys.exit("--pairs 1..300, --duration 1..120, --rate up to 5")
    env, _ = bench_stack(suffix="_bench_chat", layer_prefix="load-chat", wall_clock_seconds=WALL_CLOCK_LIMIT)
    cast = make_cast(args.pairs)
    load_before = os.getloadavg()[0]
    with bench_server("daphne", env) as daphne, bench_server("uvicorn", env) as uvicorn:
        tally = asyncio.run(
            run(
                cast,
                daphne,
                uvicorn,
                rate=args.rate,
                duration=args.duration,
                warmup=args.warmup,
                http_rps=args.http_rps,
            )
        )

    from sessions.models import Message

    sent_ids = list(tally.sent)
    stored = set()
    for i in range(0, len(sent_ids), 1000):
        stored |= {
            str(x)
            for x in Message.objects.filter(client_msg_id__in=sent_ids[i : i + 1000]).values_list(
                "client_msg_id", flat=True
            )
        }
    in_db = stored & tally.acked
    lost = len(tally.acked - in_db)
    sent = len(tally.sent)
    print()
    print(
        f"load test: {len(cast)} conversations, {2 * len(cast)} sockets at {args.rate:g} msg/s each "
        f"({2 * len(cast) * args.rate:.0f} msg/s offered) for {args.duration:.0f} s, {args.http_rps:g} page loads/s; "
        f"{os.cpu_count()} cores; load average before {load_before:.1f}, after {os.getloadavg()[0]:.1f}"
    )
    print(
        f"  messages sent {sent}, acknowledged {len(tally.acked)}, in PostgreSQL {len(in_db)}, "
        f"LOST (acked, not stored) {lost}, unacknowledged {sent - len(tally.acked)} "
        f"(of which stored anyway {len(stored - tally.acked)}; the rest were still queued when the sockets "
        f"closed, and a page's outbox would resend them)"
    )
    print(
        f"  delivered live to the other socket {len(tally.delivered)}, not delivered live "
        f"{len(tally.acked - tally.delivered)} (a resync would fetch them)"
    )
    print(
        f"  send->ack      p50 {pct(tally.ack_ms, 0.5):7.1f} ms  p99 {pct(tally.ack_ms, 0.99):7.1f} ms  "
        f"max {max(tally.ack_ms, default=float('nan')):7.1f} ms"
    )
    print(
        f"  send->delivery p50 {pct(tally.delivery_ms, 0.5):7.1f} ms  p99 {pct(tally.delivery_ms, 0.99):7.1f} ms  "
        f"max {max(tally.delivery_ms, default=float('nan')):7.1f} ms"
    )
    print(
        f"  error frames {dict(tally.errors) or 'none'}; sockets that ended early {dict(tally.closed_early) or 'none'}"
    )
    print(
        f"  HTTP page loads {sum(tally.http_status.values())}: {dict(tally.http_status)}; "
        f"p50 {pct(tally.http_ms, 0.5):.1f} ms p99 {pct(tally.http_ms, 0.99):.1f} ms"
    )
    import redis

    redis.Redis.from_url(env["CELERY_BROKER_URL"]).delete("celery")  # no worker ran: drop any task the run queued
    sys.exit(1 if lost or tally.errors or tally.closed_early else 0)


if __name__ == "__main__":
    main()
