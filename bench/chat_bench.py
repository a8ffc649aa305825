#!/usr/bin/env python
"""Chat benchmark against the real stack: two ASGI processes, the Redis channel layer, PostgreSQL.

    DATABASE_URL=postgresql://counseling:counseling@127.0.0.1:5432/counseling \\
    REDIS_URL=redis://127.0.0.1:6379/8 .venv/bin/python bench/chat_bench.py [--pairs 100] [--duration 10] [--rounds 3]
        [--rates 1,1.5,2.5] [--layers pubsub] [--sustained 300]

What it does, bounded in count and time and on loopback only:
- creates (once) its own database `<name>_bench_chat` next to DATABASE_URL's, migrates it, and a cast of
  N clients and N counselors, each pair with an open session (users have no password; signed-in
  Django sessions are written directly, staff with a confirmed second-factor device);
- starts Daphne and Uvicorn on free loopback ports, both running bench/chat_asgi.py (the project's
  application with the other features' gates open, plus a bare relay route);
- connects every client to Daphne and every counselor to Uvicorn (each message crosses processes
  through Redis) with real WebSocket clients (`websockets`), and has every socket send at a fixed
  rate; latency is send-to-delivery at the other socket (same clock: one driver process);
- for each layer backend (RedisChannelLayer "core", RedisPubSubChannelLayer "pubsub") and each rate,
  runs the bare relay (forward over the same layer; no database, no encryption, no checks) and the
  full chat path (gate-checked socket, sealed under the client's key, committed to PostgreSQL before
  the ack, its ciphertext carried by the event and opened by the receiving socket), in rounds that take
  turns (relay-chat, chat-relay, ...), and prints per phase p50/p99 latency, sustained delivered messages
  per second, losses, and CPU milliseconds per delivered message of each server, the driver, PostgreSQL and
  Redis with the share of the cores busy and stolen by the hypervisor (Linux /proc); per rate, both
  paths' figures over all rounds and the full/relay p50 ratio of each round and their median (a ratio of
  two phases far apart in time mostly measures the machine's drift in between), against the goals of
  issue 23 (at most 1.5 at 200 and 300 msg/s, at most 2 at 500), and what each path lost;
- with --sustained, then raises the offered rate step by step, relay and chat taking turns at each step,
  until each no longer keeps up (anything lost, under 97% of the offered rate delivered, or p99 at 100 ms or
  more), and prints the highest rate each sustained and the chat's as a share of the relay's.
Group commit (sessions.chat.committer) follows CHAT_GROUP_COMMIT* from the environment, as in production.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.servers import AsgiServer  # noqa: E402

APP = "bench.chat_asgi:application"
WALL_CLOCK_LIMIT = 20 * 60  # the whole run is stopped after this many seconds, whatever happens


def loopback_only(url: str, what: str) -> None:
    host = urlsplit(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit(f"{what} must point at loopback (got {host!r}); this benchmark never leaves the machine")


def bench_database(base_url: str, suffix: str = "_bench_chat") -> str:
    """Create (once) the benchmark's own database next to DATABASE_URL's and return its URL."""
    import psycopg2

    parts = urlsplit(base_url)
    name = parts.path.lstrip("/") + suffix
    conn = psycopg2.connect(base_url)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    url = urlunsplit(parts._replace(path="/" + name))
    # Every run adds to it. Where autovacuum is off (it is on this machine's PostgreSQL), the dead rows of
    # earlier runs would slow each later one; production keeps autovacuum on (PostgreSQL's default).
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    conn.close()
    return url


def bench_stack(*, suffix: str, layer_prefix: str, wall_clock_seconds: int, **settings_env: str) -> tuple[dict, str]:
    """What every benchmark does first: refuse anything but PostgreSQL and Redis on loopback, stop the whole run
    after `wall_clock_seconds`, make (once) its own database `<name><suffix>` and migrate it, and set Django up in
    this process with the environment its servers get too. `settings_env` adds or overrides settings.
    Returns (that environment, the database's URL)."""
    database_url, redis_url = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if not database_url or not redis_url:
        sys.exit("Set DATABASE_URL (PostgreSQL) and REDIS_URL: the benchmark runs against the real stack")
    loopback_only(database_url, "DATABASE_URL")
    loopback_only(redis_url, "REDIS_URL")
    signal.alarm(wall_clock_seconds)
    bench_url = bench_database(database_url, suffix)
    env = dict(
        os.environ,
        DATABASE_URL=bench_url,
        EMBEDDED_SCHEDULER="0",
        DEBUG="0",
        HTTPS="0",
        PYTHONPATH=str(ROOT),
        DB_CONN_MAX_AGE=os.environ.get("DB_CONN_MAX_AGE", "60"),
        CHANNEL_LAYER_PREFIX=layer_prefix,
        LOG_LEVEL="WARNING",
        CELERY_BROKER_URL=redis_url,
        **settings_env,
    )
    env.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdef0123456789abcdef")
    env.setdefault("FIELD_ENCRYPTION_KEYS", "bench:YmVuY2gtb25seS1rZXktZW5jcnlwdGlvbi0wMTIzNDU=")
    os.environ.update(env)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "counseling.settings")
    import django

    django.setup()
    return env, bench_url


def make_cast(pairs: int) -> list[dict]:
    """N client/counselor pairs with an open session and signed-in Django sessions (idempotent)."""
    from datetime import timedelta

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from counseling.clock import now
    from counseling.crypto import DecryptionError, data_key_for
    from counseling.models import ClientProfile, CounselorProfile, Role, User
    from identity.models import CodeWordCheck
    from sessions.models import Conversation, CounselingSession

    backend = (getattr(settings, "AUTHENTICATION_BACKENDS", None) or ["django.contrib.auth.backends.ModelBackend"])[0]

    def user(email, role):
        found = User.objects.filter(email=email).first()
        if found:
            return found
        created = User(email=email, role=role)
        created.set_unusable_password()
        created.save()
        return created

    def signed_in(person):
        store = SessionStore()
        store[SESSION_KEY] = str(person.pk)
        store[BACKEND_SESSION_KEY] = backend
        store[HASH_SESSION_KEY] = person.get_session_auth_hash()
        if person.role == Role.COUNSELOR:
            device = TOTPDevice.objects.filter(user=person, confirmed=True).first() or TOTPDevice.objects.create(
                user=person, name="bench", confirmed=True
            )
            store[DEVICE_ID_SESSION_KEY] = device.persistent_id
        store.create()
        return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"

    cast = []
    start = now() - timedelta(minutes=5)
    for i in range(pairs):
        client = user(f"bench-client-{i}@bench.test", Role.CLIENT)
        try:
            data_key_for(owner_id=client.pk)
        except DecryptionError:
            sys.exit(
                "The benchmark database's data keys are wrapped under a key-encryption key this run does not "
                "have: run with the FIELD_ENCRYPTION_KEYS of the run that made them (unset for the bench's own), "
                f"or drop the database {settings.DATABASES['default']['NAME']!r}."
            )
        ClientProfile.objects.get_or_create(user=client, defaults={"display_name": f"Client {i}"})
        counselor = user(f"bench-counselor-{i}@bench.test", Role.COUNSELOR)
        CounselorProfile.objects.get_or_create(
            user=counselor,
            defaults={
                "display_name": f"Counselor {i}",
                "professional_title": "Psikolog",
                "practice_location": "Yogyakarta",
            },
        )
        conversation, _ = Conversation.objects.get_or_create(client=client, counselor=counselor)
        # A session under way ("in_progress": the call benchmark's connected calls put it there) serves as well.
        live = ("open", "in_progress")
        session = CounselingSession.objects.filter(
            client=client, counselor=counselor, state__in=live, ends_at__gt=now() + timedelta(minutes=30)
        ).first()
        if session is None:  # one open session per pair (a person's sessions that are not cancelled may not overlap)
            CounselingSession.objects.filter(counselor=counselor, state__in=live).update(state="cancelled")
            session = CounselingSession.objects.create(
                client=client,
                counselor=counselor,
                starts_at=start,
                ends_at=start + timedelta(hours=2),
                state="open",
                location_country="ID",
                location_region="ID-YO",
                location_confirmed_at=now(),
            )
        # The code word at the start of the session matched, so the counselor may write (code_word_gate).
        if not CodeWordCheck.objects.filter(session=session, matched=True).exists():
            CodeWordCheck.objects.create(client=client, session=session, matched=True)
        cast.append(
            {
                "room": i,
                "session": session.pk,
                "path": f"/ws/chat/{conversation.pk}/session/{session.pk}/",
                "client": signed_in(client),
                "counselor": signed_in(counselor),
            }
        )
    return cast


def bench_server(kind: str, env: dict) -> AsgiServer:
    return AsgiServer(kind, env, app=APP, log=None)  # its warnings and errors show in the benchmark's output


def process_cpu_seconds(pid: int) -> float:
    """User plus system CPU time of one process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_jiffies() -> tuple[int, int, int]:
    """(busy, stolen, total) CPU jiffies of the whole machine so far (Linux /proc/stat). Stolen: time the
    hypervisor gave this machine's cores to other guests."""
    user, nice, system, idle, iowait, irq, softirq, steal = (
        int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    return user + nice + system + irq + softirq, steal, user + nice + system + idle + iowait + irq + softirq + steal


def cpu_seconds_of(command_name: str) -> float:
    """CPU time so far of every process whose command name starts with `command_name` (e.g. all of PostgreSQL's).
    A process that ends between two snapshots takes its time with it: the benchmark's connections stay open."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        if text[text.index("(") + 1 :].startswith(command_name):
            total += process_cpu_seconds(int(stat.parent.name))
    return total


def cpu_snapshot(servers) -> dict:
    snapshot = {server.kind: process_cpu_seconds(server.process.pid) for server in servers}
    snapshot["driver"] = process_cpu_seconds(os.getpid())
    snapshot["postgres"] = cpu_seconds_of("postgres")
    snapshot["redis"] = cpu_seconds_of("redis-server")
    snapshot["machine"] = machine_jiffies()
    return snapshot


def percentile(values: list[float], q: float) -> float:
    data = sorted(values)
    return data[min(len(data) - 1, int(q * len(data)))] if data else float("nan")


@dataclass
class Phase:
    layer: str
    path: str  # "relay" or "chat"
    rate: float  # messages per second per socket
    sockets: int
    duration: float
    round: int = 1
    latencies_ms: list[float] = field(default_factory=list)
    sent: int = 0
    delivered: int = 0
    errors: dict = field(default_factory=dict)
    cpu_seconds: dict = field(default_factory=dict)  # while measuring: per server process, this driver, the machine
    machine_busy: float = float("nan")  # share of all cores busy while measuring
    machine_stolen: float = float("nan")  # share of all cores taken by the hypervisor while measuring

    def cpu_ms_per_message(self, who: str) -> float:
        return 1000 * self.cpu_seconds.get(who, float("nan")) / self.delivered if self.delivered else float("nan")

    def pct(self, q: float) -> float:
        return percentile(self.latencies_ms, q)

    @property
    def offered(self) -> float:
        return self.sockets * self.rate

    @property
    def throughput(self) -> float:
        return self.delivered / self.duration


async def run_phase(phase: Phase, cast: list[dict], servers: tuple[AsgiServer, AsgiServer], warmup: float) -> Phase:
    from websockets.asyncio.client import connect

    measuring = {"on": False}
    stop = asyncio.Event()
    gate = asyncio.Semaphore(20)

    async def open_socket(server: AsgiServer, path: str, cookie: str):
        async with gate:
            ws = await connect(
                f"ws://127.0.0.1:{server.port}{path}",
                origin=f"http://127.0.0.1:{server.port}",
                additional_headers={"Cookie": cookie},
                open_timeout=30,
                max_queue=None,
            )
            if phase.path == "chat":
                hello = json.loads(await ws.recv())
                if hello.get("type") != "hello":
                    raise RuntimeError(f"chat refused: {hello}")
            return ws

    async def sender(ws):
        await asyncio.sleep(random.random() / phase.rate)  # spread the sends over the interval
        interval = 1 / phase.rate
        next_at = time.perf_counter()
        n = 0
        while not stop.is_set():
            body = f"{time.perf_counter_ns()}|{int(measuring['on'])}|bench message {n}"
            frame = {"type": "send", "client_msg_id": str(__import__("uuid").uuid4()), "body": body}
            await ws.send(json.dumps(frame))
            if measuring["on"]:
                phase.sent += 1
            n += 1
            next_at += interval
            await asyncio.sleep(max(0, next_at - time.perf_counter()))

    async def receiver(ws):
        try:
            async for raw in ws:
                received = time.perf_counter_ns()
                frame = json.loads(raw)
                kind = frame.get("type")
                if kind == "error":
                    phase.errors[frame.get("code")] = phase.errors.get(frame.get("code"), 0) + 1
                    continue
                body = frame.get("body") if kind in ("send", "message") else None
                if not body:
                    continue
                sent_ns, measured, _ = body.split("|", 2)
                if measured == "1":
                    phase.delivered += 1
                    phase.latencies_ms.append((received - int(sent_ns)) / 1e6)
        except Exception:
            return

    sockets = []
    for pair in cast:
        if phase.path == "chat":
            a = await open_socket(servers[0], pair["path"], pair["client"])
            b = await open_socket(servers[1], pair["path"], pair["counselor"])
        else:
            a = await open_socket(servers[0], f"/ws/relay/{pair['room']}/", pair["client"])
            b = await open_socket(servers[1], f"/ws/relay/{pair['room']}/", pair["counselor"])
        sockets += [a, b]
    receivers = [asyncio.create_task(receiver(ws)) for ws in sockets]
    senders = [asyncio.create_task(sender(ws)) for ws in sockets]
    await asyncio.sleep(warmup)
    measuring["on"] = True
    before = cpu_snapshot(servers)
    await asyncio.sleep(phase.duration)
    measuring["on"] = False
    after = cpu_snapshot(servers)
    phase.cpu_seconds = {who: after[who] - before[who] for who in after if who != "machine"}
    busy, stolen, total = (a - b for a, b in zip(after["machine"], before["machine"], strict=True))
    phase.machine_busy, phase.machine_stolen = (busy / total, stolen / total) if total else (float("nan"),) * 2
    stop.set()
    await asyncio.gather(*senders, return_exceptions=True)
    await asyncio.sleep(3)  # drain what is in flight
    for ws in sockets:
        await ws.close()
    await asyncio.gather(*receivers, return_exceptions=True)
    return phase


# The goals for the full/relay p50 ratio, by offered messages per second (issue 23).
RATIO_GOALS = {200: 1.5, 300: 1.5, 500: 2.0}
SUSTAINED_P99_MS = 100.0


def report(phases: list[Phase]) -> None:
    print()
    print(
        f"{'layer':7} {'path':6} {'round':>5} {'sockets':>7} {'offered/s':>9} {'deliv/s':>8} {'p50 ms':>8} "
        f"{'p99 ms':>8} {'max ms':>8} {'lost':>6} {'daphne':>7} {'uvicorn':>7} {'driver':>7} {'pg':>5} {'redis':>5} "
        f"{'busy':>5} {'stolen':>6}  errors"
    )
    # daphne ... redis: CPU milliseconds per delivered message of each (all of PostgreSQL's and Redis's processes);
    # busy: share of the machine's cores in use, whatever uses them; stolen: taken by the hypervisor
    for p in phases:
        lost = p.sent - p.delivered
        print(
            f"{p.layer:7} {p.path:6} {p.round:5d} {p.sockets:7d} {p.offered:9.0f} {p.throughput:8.1f} "
            f"{p.pct(0.5):8.1f} {p.pct(0.99):8.1f} {max(p.latencies_ms, default=float('nan')):8.1f} {lost:6d} "
            f"{p.cpu_ms_per_message('daphne'):7.2f} {p.cpu_ms_per_message('uvicorn'):7.2f} "
            f"{p.cpu_ms_per_message('driver'):7.2f} {p.cpu_ms_per_message('postgres'):5.2f} "
            f"{p.cpu_ms_per_message('redis'):5.2f} {100 * p.machine_busy:4.0f}% {100 * p.machine_stolen:5.0f}%  "
            f"{p.errors or ''}"
        )
    print()
    for layer, rate in dict.fromkeys((p.layer, p.rate) for p in phases):
        group = [p for p in phases if (p.layer, p.rate) == (layer, rate)]
        rounds = sorted({p.round for p in group})
        by_round = {(p.round, p.path): p for p in group}
        ratios = [
            by_round[r, "chat"].pct(0.5) / by_round[r, "relay"].pct(0.5)
            for r in rounds
            if (r, "chat") in by_round and (r, "relay") in by_round and by_round[r, "relay"].latencies_ms
        ]
        pooled = {path: [ms for p in group if p.path == path for ms in p.latencies_ms] for path in ("relay", "chat")}
        if not ratios or not pooled["chat"]:
            continue
        offered = group[0].offered
        relay_p50, chat_p50 = percentile(pooled["relay"], 0.5), percentile(pooled["chat"], 0.5)
        lost = {path: sum(p.sent - p.delivered for p in group if p.path == path) for path in ("relay", "chat")}
        goal = RATIO_GOALS.get(round(offered))
        median = statistics.median(ratios)
        verdict = f"goal <= {goal}: {'met' if median <= goal else 'NOT met'}" if goal else "no goal at this rate"
        print(
            f"{layer:7} {offered:5.0f} msg/s offered, {len(rounds)} rounds: relay p50 {relay_p50:.1f} / p99 "
            f"{percentile(pooled['relay'], 0.99):.1f} ms, chat p50 {chat_p50:.1f} / p99 "
            f"{percentile(pooled['chat'], 0.99):.1f} ms (+{chat_p50 - relay_p50:.1f} ms); full/relay p50 ratio "
            f"per round {', '.join(f'{r:.2f}' for r in ratios)}, median {median:.2f} ({verdict}); lost: relay "
            f"{lost['relay']}, chat {lost['chat']}"
        )


def sustained(phase: Phase) -> bool:
    """Kept up: nothing lost, at least 97% of the offered rate delivered, p99 under SUSTAINED_P99_MS."""
    return (
        phase.sent > 0
        and phase.sent == phase.delivered
        and phase.throughput >= 0.97 * phase.offered
        and phase.pct(0.99) < SUSTAINED_P99_MS
    )


def sustained_search(layer, cast, servers, *, start: float, step: float, duration: float, warmup: float) -> list:
    """Raise the offered rate by `step` times until each path no longer keeps up (sustained()); the relay and
    the chat take turns at each rate, so both are measured under the same conditions. Returns the phases."""
    phases, going = [], {"relay": True, "chat": True}
    offered = start
    for number in range(1, 16):
        if not any(going.values()):
            break
        for path in ("relay", "chat") if number % 2 else ("chat", "relay"):
            if not going[path]:
                continue
            phase = Phase(
                layer=layer,
                path=path,
                rate=offered / (2 * len(cast)),
                sockets=2 * len(cast),
                duration=duration,
                round=number,
            )
            asyncio.run(run_phase(phase, cast, servers, warmup))
            phases.append(phase)
            going[path] = sustained(phase)
            print(
                f"  {layer} {path} sustained? at {phase.offered:.0f} msg/s: p50 {phase.pct(0.5):.1f} ms, p99 "
                f"{phase.pct(0.99):.1f} ms, {phase.throughput:.1f} msg/s delivered, {phase.sent - phase.delivered} "
                f"lost: {'yes' if going[path] else 'no'}",
                flush=True,
            )
        offered *= step
    return phases


def sustained_report(layer: str, phases: list[Phase]) -> None:
    best = {}
    for path in ("relay", "chat"):
        kept = [p for p in phases if p.path == path and sustained(p)]
        best[path] = max(kept, key=lambda p: p.offered, default=None)
        failed = [p for p in phases if p.path == path and not sustained(p)]
        limit = f"; not at {min(failed, key=lambda p: p.offered).offered:.0f} msg/s" if failed else " (never failed)"
        if best[path] is None:
            print(f"{layer:7} {path}: no rate tried kept p99 under {SUSTAINED_P99_MS:.0f} ms{limit}")
        else:
            b = best[path]
            print(
                f"{layer:7} {path}: highest sustained rate with p99 under {SUSTAINED_P99_MS:.0f} ms: "
                f"{b.offered:.0f} msg/s (p50 {b.pct(0.5):.1f} / p99 {b.pct(0.99):.1f} ms){limit}"
            )
    if best["relay"] is not None and best["chat"] is not None:
        print(f"{layer:7} chat/relay highest sustained rate: {best['chat'].offered / best['relay'].offered:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=100, help="conversations (two sockets each), at most 300")
    parser.add_argument(
        "--rates", default="1,1.5,2.5", help="messages per second per socket, comma-separated (x 2 x pairs in all)"
    )
    parser.add_argument("--duration", type=float, default=10, help="measured seconds per phase, at most 60")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="relay and chat phases per rate, taking turns (the ratio is the median of the rounds')",
    )
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--layers", default="core,pubsub")
    parser.add_argument(
        "--sustained",
        type=float,
        default=0,
        metavar="MSG_PER_S",
        help="then find the highest rate each path sustains with p99 under 100 ms and nothing lost, starting at "
        "this many messages per second in all (0: skip)",
    )
    parser.add_argument("--sustained-step", type=float, default=1.25, help="rate multiplier between tries")
    parser.add_argument("--sustained-duration", type=float, default=5, help="measured seconds per try")
    args = parser.parse_args()
    if not 1 <= args.pairs <= 300 or not 1 <= args.duration <= 60 or not 1 <= args.rounds <= 9:
        sys.exit("--pairs must be 1..300, --duration 1..60 and --rounds 1..9")
    env, bench_url = bench_stack(
        suffix="_bench_chat", layer_prefix="bench-chat", wall_clock_seconds=WALL_CLOCK_LIMIT, CHAT_RATE_LIMIT="1000"
    )
    cast = make_cast(args.pairs)
    print(
        f"{len(cast)} pairs; Daphne serves the clients, Uvicorn the counselors; "
        f"PostgreSQL {bench_url.rsplit('/', 1)[1]}; DB_CONN_MAX_AGE={env['DB_CONN_MAX_AGE']}; "
        f"{os.cpu_count()} cores; group commit {'off' if env.get('CHAT_GROUP_COMMIT') in ('0', 'false') else 'on'} "
        f"(window {env.get('CHAT_GROUP_COMMIT_WINDOW_MS', '0')} ms, lanes {env.get('CHAT_GROUP_COMMIT_LANES', '4')}); "
        f"load average before: {os.getloadavg()[0]:.1f} (other work on the machine skews every figure)"
    )
    rates = [float(r) for r in args.rates.split(",")]
    phases, searched = [], {}
    for layer in args.layers.split(","):
        server_env = dict(env, BENCH_LAYER=layer)
        with bench_server("daphne", server_env) as daphne, bench_server("uvicorn", server_env) as uvicorn:
            for rate in rates:
                for round_number in range(1, args.rounds + 1):
                    # Relay and chat take turns, in the opposite order each round (relay-chat, chat-relay, ...),
                    # so that a machine slowing down or speeding up during the run favours neither.
                    order = ("relay", "chat") if round_number % 2 else ("chat", "relay")
                    for path in order:
                        phase = Phase(
                            layer=layer,
                            path=path,
                            rate=rate,
                            sockets=2 * len(cast),
                            duration=args.duration,
                            round=round_number,
                        )
                        asyncio.run(run_phase(phase, cast, (daphne, uvicorn), args.warmup))
                        phases.append(phase)
                        print(
                            f"  {layer} {path} at {phase.offered:.0f} msg/s, round {round_number}: p50 "
                            f"{phase.pct(0.5):.1f} ms, p99 {phase.pct(0.99):.1f} ms, {phase.throughput:.1f} msg/s "
                            f"delivered, {phase.sent - phase.delivered} lost {phase.errors or ''}",
                            flush=True,
                        )
            if args.sustained:
                searched[layer] = sustained_search(
                    layer,
                    cast,
                    (daphne, uvicorn),
                    start=args.sustained,
                    step=args.sustained_step,
                    duration=args.sustained_duration,
                    warmup=min(args.warmup, 2),
                )
    report(phases)
    for layer, tried in searched.items():
        sustained_report(layer, tried)
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    # No worker runs during the benchmark: drop any task it queued (benchmark text matches no risk phrase).
    import redis

    redis.Redis.from_url(env["CELERY_BROKER_URL"]).delete("celery")


if __name__ == "__main__":
    main()
