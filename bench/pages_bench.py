#!/usr/bin/env python
"""Page benchmark against the real stack: Daphne, PostgreSQL, Redis; alone and under the chat's load.

    DATABASE_URL=postgresql://counseling:counseling@127.0.0.1:5432/counseling \\
    REDIS_URL=redis://127.0.0.1:6379/8 .venv/bin/python bench/pages_bench.py [--rate 12] [--duration 80]

What it does, bounded in count and time and on loopback only:
- creates (once) its own database `<name>_bench_pages` next to DATABASE_URL's, migrates it and seeds, with bulk
  inserts (bench/pages_seed.py), the demo's cast grown to: a counselor with `--clients` clients (1,000), a
  directory of `--counselors` more counselors (200), a conversation of `--messages` messages (2,000) and a risk
  queue of `--escalations` open escalations (50); plus the chat benchmark's cast for the load (`--pairs`);
- starts Daphne (the clients' chat sockets and every page) and Uvicorn (the counselors' chat sockets), both on
  bench/pages_asgi.py: the project's application with one more route, a bare Django view (no query) reached
  through the same process, middleware and signed-in session;
- counts the queries of each page once (Django's test client in this process, on the same database);
- loads, at a steady rate (`--rate` requests per second in all, open loop: a slow answer does not slow the
  sending), the bare view and each page in turn, each as the person who uses it, signed in, for `--duration`
  seconds: once alone, once under the chat load of bench/load_chat.py (`--pairs` conversations, both sockets
  sending 1 message a second: 200 msg/s for 100 pairs) run by a separate process;
- prints per page and phase p50/p99, the p50 ratio to the bare view's of the same phase, and the queries.

`--pooler 6432`: the servers reach PostgreSQL through PgBouncer (bench/pgbouncer.ini), as docker-compose.yml's web
processes do. Without it each request opens a PostgreSQL connection of its own (docs/operations.md, "Database
connections"), which costs the bare view too.

The consent, identity and jurisdiction gates that sessions.selectors calls are opened in the servers for the
load's cast only (bench/chat_asgi.py), so that it may chat; the pages' cast meets every gate for real (before 7
December 2026 they were opened for everyone, which spared the booking slots and the client home their gates).
Not a test: a script, run by hand.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.chat_bench import bench_stack, machine_jiffies, percentile  # noqa: E402
from tests.servers import AsgiServer  # noqa: E402

APP = "bench.pages_asgi:application"
WALL_CLOCK_LIMIT = 20 * 60
BARE = "/bench/bare/"
GOAL_RATIO, GOAL_QUERIES, GOAL_P99_MS = 3.0, 25, 250.0


def vacuum(url: str) -> None:
    import psycopg2

    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    conn.close()


def seed(args) -> tuple:
    """The pages' cast, grown to the sizes asked for (only what is missing is added), and the load's."""
    from bench.chat_bench import make_cast
    from bench.pages_seed import pages_cast_grow, pages_cast_seed
    from counseling.models import User
    from crisis.models import Escalation

    started = time.perf_counter()
    cast = pages_cast_seed()
    clients = User.objects.filter(email__startswith="pages-client-").count()
    counselors = User.objects.filter(email__startswith="pages-counselor-").count()
    escalations = Escalation.objects.filter(dedupe_key__startswith="pages-bench:").count() - 1
    pages_cast_grow(
        cast,
        clients=max(0, args.clients - clients),
        counselors=max(0, args.counselors - counselors),
        messages=max(0, args.messages - cast.conversation.last_seq),
        escalations=max(0, min(args.escalations - escalations, args.clients - clients)),
    )
    load_cast = make_cast(args.pairs)
    print(f"seeded in {time.perf_counter() - started:.1f} s", flush=True)
    return cast, load_cast


def signed_in_cookie(user) -> str:
    """A signed-in Django session for `user` (staff with a confirmed second factor), as its cookie."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    if user.role in ("counselor", "admin"):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
            user=user, name="bench", confirmed=True
        )
        store[DEVICE_ID_SESSION_KEY] = device.persistent_id
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def query_counts(targets, *, loads: int = 11) -> tuple[dict, dict]:
    """Queries of one load of each page (after a first load warms the process's caches), and the median CPU
    milliseconds of `loads` loads in this process (Django's test client: the view, its queries' Python side
    and the template, without the server's HTTP handling). CPU time is what the other work on a shared
    machine changes least: the figure to compare when the latencies measured under load are swamped."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    counts, cpu_ms = {}, {}
    for name, cookie, path in targets:
        browser = Client(HTTP_HOST="127.0.0.1", HTTP_COOKIE=cookie)
        browser.get(path)
        with CaptureQueriesContext(connection) as queries:
            status = browser.get(path).status_code
        counts[name] = len(queries) if status == 200 else f"HTTP {status}"
        spent = []
        for _ in range(loads):
            started = time.process_time()
            browser.get(path)
            spent.append((time.process_time() - started) * 1000)
        cpu_ms[name] = percentile(spent, 0.5)
    return counts, cpu_ms


def fetch(port: int, path: str, cookie: str) -> tuple[object, float]:
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


def steady_load(port: int, targets, *, rate: float, duration: float, warmup: float) -> dict:
    """Every target in turn at `rate` requests per second in all (open loop) for warmup + duration seconds;
    {name: ([ms of each 200 answer while measuring], {status: count})}."""
    results = {name: ([], {}) for name, _, _ in targets}
    lock = threading.Lock()
    pool = ThreadPoolExecutor(max_workers=16)
    begin = time.perf_counter()
    measure_from, end = begin + warmup, begin + warmup + duration

    def one(name, path, cookie, measured):
        status, ms = fetch(port, path, cookie)
        if measured:
            with lock:
                latencies, statuses = results[name]
                statuses[status] = statuses.get(status, 0) + 1
                if status == 200:
                    latencies.append(ms)

    i = 0
    futures = []
    while (at := begin + i / rate) < end:
        time.sleep(max(0.0, at - time.perf_counter()))
        name, cookie, path = targets[i % len(targets)]
        futures.append(pool.submit(one, name, path, cookie, at >= measure_from))
        i += 1
    for future in futures:
        future.result()
    pool.shutdown()
    return results


def chat_load(cast, daphne_port: int, uvicorn_port: int, duration: float, warmup: float, out) -> None:
    """In its own process (so that it takes no turns of this one's interpreter): the load test's chat load."""
    import asyncio

    from bench.load_chat import run

    tally = asyncio.run(
        run(
            cast,
            SimpleNamespace(port=daphne_port),
            SimpleNamespace(port=uvicorn_port),
            rate=1.0,
            duration=duration,
            warmup=warmup,
            http_rps=0.2,  # load_chat's own page loads, kept out of the way
        )
    )
    out.put(
        {
            "sent": len(tally.sent),
            "acked": len(tally.acked),
            "delivered": len(tally.delivered),
            "delivery_p50": percentile(tally.delivery_ms, 0.5),
            "delivery_p99": percentile(tally.delivery_ms, 0.99),
            "errors": dict(tally.errors),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=1000, help="clients in the counselor's caseload")
    parser.add_argument("--counselors", type=int, default=200, help="more counselors in the directory")
    parser.add_argument("--messages", type=int, default=2000, help="messages in the client's conversation")
    parser.add_argument("--escalations", type=int, default=50, help="open escalations in the risk queue")
    parser.add_argument("--pairs", type=int, default=100, help="chat conversations of the load (2 sockets each)")
    parser.add_argument("--rate", type=float, default=12, help="page requests per second, all pages together")
    parser.add_argument("--duration", type=float, default=80, help="measured seconds per phase, at most 300")
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--phases", default="alone,load", help="alone, load, or both")
    parser.add_argument(
        "--pooler",
        type=int,
        metavar="PORT",
        help="the servers reach PostgreSQL through PgBouncer on this loopback port (bench/pgbouncer.ini: 6432) with "
        "DB_CONN_MAX_AGE=0 and the chat's own connections directly, as docker-compose.yml's web processes do; "
        "without it, all directly",
    )
    args = parser.parse_args()
    if not 1 <= args.duration <= 300 or not 0 < args.rate <= 100 or not 1 <= args.pairs <= 300:
        sys.exit("--duration 1..300, --rate up to 100, --pairs 1..300")
    env, bench_url = bench_stack(
        suffix="_bench_pages", layer_prefix="bench-pages", wall_clock_seconds=WALL_CLOCK_LIMIT, BENCH_LAYER="pubsub"
    )
    if args.pooler:
        pooled = urlsplit(bench_url)._replace(netloc=f"{urlsplit(bench_url).netloc.rsplit(':', 1)[0]}:{args.pooler}")
        env = dict(env, DATABASE_URL=urlunsplit(pooled), DB_CONN_MAX_AGE="0", DATABASE_DIRECT_URL=bench_url)
    from django.conf import settings

    settings.ROOT_URLCONF = "bench.pages_urls"  # the servers' URLs, for the query counts made here

    from bench.pages_seed import pages_measured

    cast, load_cast = seed(args)
    vacuum(bench_url)
    cookies = {user.pk: signed_in_cookie(user) for user in (cast.client, cast.counselor, cast.admin)}
    targets = [("bare view", cookies[cast.client.pk], BARE)] + [
        (name, cookies[user.pk], path) for name, user, path in pages_measured(cast)
    ]
    queries, cpu_ms = query_counts(targets)
    from django.db import connections

    connections.close_all()  # before the load's process is forked
    print(
        f"{args.clients} clients, {args.counselors} more counselors, {args.messages} messages, "
        f"{args.escalations} escalations; {len(targets)} targets at {args.rate:g} req/s in all, "
        f"{args.duration:g} s measured per phase; {os.cpu_count()} cores; load average before "
        f"{os.getloadavg()[0]:.1f} (other work on the machine skews every figure); servers to PostgreSQL "
        + (f"through PgBouncer on port {args.pooler}, DB_CONN_MAX_AGE=0" if args.pooler else "directly"),
        flush=True,
    )
    phases = {}
    load_summary = None
    with (
        AsgiServer("daphne", env, app=APP, log=None) as daphne,
        AsgiServer("uvicorn", env, app=APP, log=None) as uvicorn,
    ):
        for phase in args.phases.split(","):
            busy_before = machine_jiffies()
            if phase == "alone":
                phases[phase] = steady_load(
                    daphne.port, targets, rate=args.rate, duration=args.duration, warmup=args.warmup
                )
            elif phase == "load":
                out = multiprocessing.get_context("fork").Queue()
                connect_allowance = 15  # the load's sockets connect and warm up first
                loader = multiprocessing.get_context("fork").Process(
                    target=chat_load,
                    args=(load_cast, daphne.port, uvicorn.port, args.duration + args.warmup, connect_allowance, out),
                )
                loader.start()
                time.sleep(connect_allowance + 5)
                phases[phase] = steady_load(
                    daphne.port, targets, rate=args.rate, duration=args.duration, warmup=args.warmup
                )
                load_summary = out.get(timeout=args.duration + 120)
                loader.join(timeout=60)
            else:
                sys.exit(f"unknown phase {phase!r}")
            busy, stolen, total = (a - b for a, b in zip(machine_jiffies(), busy_before, strict=True))
            print(
                f"  phase {phase}: cores busy {100 * busy / total:.0f}%, stolen {100 * stolen / total:.0f}%",
                flush=True,
            )

    print()
    names = [name for name, _, _ in targets]
    header = f"{'page':16} {'queries':>7} {'CPU ms':>7} {'x bare':>6}"
    for phase in phases:
        header += f" | {phase + ' p50':>10} {'p99':>7} {'x bare':>6} {'n':>4}"
    print(header)
    met = {"ratio": True, "queries": True, "p99": True}
    for name in names:
        line = f"{name:16} {queries[name]!s:>7} {cpu_ms[name]:7.1f} {cpu_ms[name] / cpu_ms['bare view']:6.1f}"
        if name != "bare view" and (not isinstance(queries[name], int) or queries[name] > GOAL_QUERIES):
            met["queries"] = False
        for phase, results in phases.items():
            latencies, statuses = results[name]
            bare_p50 = percentile(phases[phase]["bare view"][0], 0.5)
            p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
            ratio = p50 / bare_p50 if bare_p50 else float("nan")
            line += f" | {p50:10.1f} {p99:7.1f} {ratio:6.2f} {len(latencies):4d}"
            if set(statuses) - {200}:
                line += f" {statuses}"
            if name != "bare view" and not ratio <= GOAL_RATIO:
                met["ratio"] = False
            if name != "bare view" and phase == "load" and not p99 < GOAL_P99_MS:
                met["p99"] = False
        print(line)
    print()
    if load_summary:
        print(
            f"chat load during the 'load' phase: {load_summary['sent']} messages sent, {load_summary['acked']} "
            f"acknowledged, {load_summary['delivered']} delivered live, send-to-delivery p50 "
            f"{load_summary['delivery_p50']:.1f} ms p99 {load_summary['delivery_p99']:.1f} ms, errors "
            f"{load_summary['errors'] or 'none'}"
        )
    print(
        f"goals: every page's p50 at most {GOAL_RATIO:g}x the bare view's: {'met' if met['ratio'] else 'NOT met'}; "
        f"at most {GOAL_QUERIES} queries per page: {'met' if met['queries'] else 'NOT met'}"
        + (
            f"; p99 under load below {GOAL_P99_MS:g} ms: {'met' if met['p99'] else 'NOT met'}"
            if "load" in phases
            else ""
        )
    )
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    import redis

    redis.Redis.from_url(env["CELERY_BROKER_URL"]).delete("celery")  # no worker ran: drop any task the run queued


if __name__ == "__main__":
    main()
