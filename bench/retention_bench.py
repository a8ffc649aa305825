#!/usr/bin/env python
"""Retention cost benchmark against PostgreSQL: finding due clients, crypto-shredding, deleting rows in batches.

    DATABASE_URL=postgresql://counseling:counseling@127.0.0.1:5432/counseling \\
    .venv/bin/python bench/retention_bench.py [--clients 10] [--messages 20000]

What it does, bounded in size and time and on loopback only:
- creates its own database `<name>_bench_retention` next to DATABASE_URL's (dropped first if an
  interrupted run left it), migrates it, and drops it again at the end, whatever happens;
- builds N clients whose last contact was 8 years ago, each with one conversation holding
  `--messages / --clients` sealed messages (sealed under the client's data key, like real chat);
- times `retention_due()` (which must find exactly those N), `client_shred` for each client, and
  `client_purge_batch` called until each client is done (batches of PURGE_BATCH_SIZE, as the worker runs them);
- baseline, measured in the same run: N more clients with the same number of sealed messages, deleted
  with one plain `Message.objects.filter(conversation__client_id=...).delete()` per client (Message has
  no dependent rows, so this is a single SQL DELETE). The purge and the baseline deletes alternate client
  by client, so load from other work on the machine falls on both; the purge/baseline ratio is the figure
  to compare between runs, the absolute times depend on the machine.
No Redis and no worker: the purge task `client_shred` queues is stubbed out (the purge is timed directly).
Not a test: a script, run by hand; it never leaves the machine.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
WALL_CLOCK_LIMIT = 20 * 60  # the whole run is stopped after this many seconds, whatever happens
MAX_MESSAGES = 400_000  # per set (the purged set and the baseline set each hold this many at most)
MAX_CLIENTS = 200
BODY = "x" * 200  # plaintext of every message, the length of a typical chat line or two


def loopback_only(url: str, what: str) -> None:
    host = urlsplit(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit(f"{what} must point at loopback (got {host!r}); this benchmark never leaves the machine")


def _admin(base_url: str, sql: str) -> None:
    import psycopg2

    conn = psycopg2.connect(base_url)
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql)
    finally:
        conn.close()


def bench_database(base_url: str) -> tuple[str, str]:
    """Create the benchmark's own, empty database next to DATABASE_URL's; return its URL and name."""
    parts = urlsplit(base_url)
    name = parts.path.lstrip("/") + "_bench_retention"
    _admin(base_url, f'DROP DATABASE IF EXISTS "{name}"')
    _admin(base_url, f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path="/" + name)), name


def drop_bench_database(base_url: str, name: str) -> None:
    from django.db import connections

    connections.close_all()
    _admin(base_url, f'DROP DATABASE IF EXISTS "{name}"')


def make_clients(*, clients: int, per_client: int, counselor, last_contact, label: str) -> list[int]:
    """N clients, each with one conversation of `per_client` sealed messages, all dated `last_contact`."""
    from counseling.crypto import seal
    from counseling.models import ClientProfile, Role, User
    from sessions.models import Conversation, Message

    ids = []
    for i in range(clients):
        user = User(email=f"{label}-{i}@retention.bench", role=Role.CLIENT)
        user.set_unusable_password()
        user.save()
        ClientProfile.objects.create(user=user, display_name=f"{label} {i}")
        conversation = Conversation.objects.create(client=user, counselor=counselor)
        rows = []
        for seq in range(1, per_client + 1):
            message = Message(
                conversation=conversation,
                seq=seq,
                sender=user if seq % 2 else counselor,
                client_msg_id=uuid.uuid4(),
                created_at=last_contact,
            )
            message.body_sealed = seal(owner_id=user.pk, plaintext=BODY, context=message.aad)
            rows.append(message)
        Message.objects.bulk_create(rows, batch_size=2000)
        User.objects.filter(pk=user.pk).update(date_joined=last_contact)
        ids.append(user.pk)
    return ids


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def measure(*, clients: int, per_client: int, batch_size: int) -> None:
    from datetime import timedelta

    from counseling import clock, tasks
    from counseling.crypto import DataKeyDestroyed, open_text
    from counseling.models import CounselorProfile, Role, User
    from records.models import RetentionTombstone
    from records.services import client_purge_batch, client_shred, retention_due
    from sessions.models import Message

    # The shred queues the purge on commit; here the purge is timed directly, so nothing is queued.
    tasks.retention_purge_client.delay = lambda *args, **kwargs: None
    counselor = User(email="counselor@retention.bench", role=Role.COUNSELOR)
    counselor.set_unusable_password()
    counselor.save()
    CounselorProfile.objects.create(
        user=counselor, display_name="Counselor", professional_title="Psikolog", practice_location="Yogyakarta"
    )
    long_ago = clock.now() - timedelta(days=365 * 8)

    started = time.perf_counter()
    due_clients = make_clients(
        clients=clients, per_client=per_client, counselor=counselor, last_contact=long_ago, label="due"
    )
    analyze()
    print(
        f"  built {clients} due clients x {per_client} sealed messages in {time.perf_counter() - started:.1f} s",
        flush=True,
    )

    started = time.perf_counter()
    plans = retention_due()
    found = time.perf_counter() - started
    if sorted(plan.client_id for plan in plans) != sorted(due_clients):
        sys.exit(f"retention_due found {len(plans)} clients, expected the {clients} built")

    started = time.perf_counter()
    for plan in plans:
        if not client_shred(
            client_id=plan.client_id,
            rule=plan.rule,
            retention_ended_on=plan.retention_ended_on,
            last_contact_at=plan.last_contact_at,
        ):
            sys.exit(f"client {plan.client_id} was not shredded")
    shredded = time.perf_counter() - started
    sample = Message.objects.filter(conversation__client_id=due_clients[0]).first()
    try:
        open_text(owner_id=due_clients[0], sealed=sample.body_sealed, context=sample.aad)
        sys.exit("a shredded client's message still opens")
    except DataKeyDestroyed:
        pass

    # The baseline set: same shape, recent (not due; retention_due has already run anyway).
    started = time.perf_counter()
    baseline_clients = make_clients(
        clients=clients, per_client=per_client, counselor=counselor, last_contact=clock.now(), label="baseline"
    )
    analyze()
    print(
        f"  built {clients} baseline clients x {per_client} sealed messages in {time.perf_counter() - started:.1f} s",
        flush=True,
    )

    purge_messages = purge_final = baseline = 0.0
    batches = 0

    def purge(client_id: int) -> None:
        nonlocal purge_messages, purge_final, batches
        done = False
        while not done:
            started = time.perf_counter()
            done = client_purge_batch(client_id=client_id, batch_size=batch_size)
            elapsed = time.perf_counter() - started
            batches += 1
            if done:  # the last call deletes the user and what hangs on it, and closes the tombstone
                purge_final += elapsed
            else:
                purge_messages += elapsed

    def plain_delete(client_id: int) -> None:
        nonlocal baseline
        started = time.perf_counter()
        Message.objects.filter(conversation__client_id=client_id).delete()
        baseline += time.perf_counter() - started

    for i, (due_id, baseline_id) in enumerate(zip(due_clients, baseline_clients, strict=True)):
        if i % 2:  # alternate which goes first, so neither always runs on a warmer cache
            plain_delete(baseline_id)
            purge(due_id)
        else:
            purge(due_id)
            plain_delete(baseline_id)

    left = Message.objects.filter(conversation__client_id__in=due_clients + baseline_clients).count()
    if (
        left
        or User.objects.filter(pk__in=due_clients).exists()
        or RetentionTombstone.objects.filter(subject_id__in=due_clients, purged_at__isnull=True).exists()
    ):
        sys.exit(f"purge incomplete: {left} messages left or users/tombstones not done")

    total = per_client * clients
    purged = purge_messages + purge_final
    rate, baseline_rate = total / purged, total / baseline
    print(
        f"\n{clients} clients, {total} messages ({per_client} each), batch {batch_size}\n"
        f"  find due clients: {found * 1000:.0f} ms ({found / clients * 1000:.1f} ms per client)\n"
        f"  crypto-shred:     {shredded * 1000:.0f} ms ({shredded / clients * 1000:.1f} ms per client)\n"
        f"  delete rows:      {purged:.2f} s in {batches} batches ({rate:,.0f} messages/s); of which the last "
        f"batch per client (user and dependents, tombstone): {purge_final / clients * 1000:.0f} ms per client\n"
        f"  baseline:         {baseline:.2f} s for {total} messages in one plain delete per client "
        f"({baseline_rate:,.0f} messages/s)\n"
        f"  purge/baseline:   {purged / baseline:.2f} (message batches alone: {purge_messages / baseline:.2f})\n"
        f"  extrapolated to 1,000,000 messages: rows deleted in {1_000_000 / rate / 60:.1f} min "
        f"({-(-1_000_000 // batch_size)} batches); shredding stays {shredded / clients * 1000:.1f} ms per client"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=10, help=f"clients to destroy, 1..{MAX_CLIENTS}")
    parser.add_argument(
        "--messages",
        type=int,
        default=20000,
        help=f"messages in total, split evenly over the clients, at most {MAX_MESSAGES:,} "
        "(the baseline deletes as many again)",
    )
    parser.add_argument("--batch", type=int, default=None, help="purge batch size (default: PURGE_BATCH_SIZE)")
    args = parser.parse_args()
    if not 1 <= args.clients <= MAX_CLIENTS or not args.clients <= args.messages <= MAX_MESSAGES:
        sys.exit(f"--clients must be 1..{MAX_CLIENTS} and --messages {args.clients}..{MAX_MESSAGES}")
    if args.batch is not None and not 1 <= args.batch <= 20000:
        sys.exit("--batch must be 1..20000")
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url:
        sys.exit("Set DATABASE_URL (PostgreSQL): the benchmark runs against the real database")
    loopback_only(database_url, "DATABASE_URL")

    def out_of_time(*_):
        raise TimeoutError(f"stopped after {WALL_CLOCK_LIMIT} s")

    signal.signal(signal.SIGALRM, out_of_time)  # raise, so the database is still dropped
    signal.alarm(WALL_CLOCK_LIMIT)

    bench_url, bench_name = bench_database(database_url)
    env = dict(
        os.environ,
        DATABASE_URL=bench_url,
        EMBEDDED_SCHEDULER="0",
        DEBUG="0",
        HTTPS="0",
        PYTHONPATH=str(ROOT),
        LOG_LEVEL="WARNING",
    )
    env.pop("REDIS_URL", None)  # no worker, no channel layer: the purge is called directly
    env.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdef0123456789abcdef")
    env.setdefault("FIELD_ENCRYPTION_KEYS", "bench:YmVuY2gtb25seS1rZXktZW5jcnlwdGlvbi0wMTIzNDU=")
    os.environ.pop("REDIS_URL", None)
    os.environ.update(env)
    django_ready = False
    try:
        subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
        sys.path.insert(0, str(ROOT))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "counseling.settings")
        import django

        django.setup()
        django_ready = True
        from django.db import connection

        from records.services import PURGE_BATCH_SIZE

        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
        print(
            f"PostgreSQL {version}, database {bench_name}; {os.cpu_count()} cores; load average before: "
            f"{os.getloadavg()[0]:.1f} (other work on the machine skews the absolute figures, less the ratio)",
            flush=True,
        )
        measure(
            clients=args.clients, per_client=args.messages // args.clients, batch_size=args.batch or PURGE_BATCH_SIZE
        )
        print(f"load average after: {os.getloadavg()[0]:.1f}")
    finally:
        signal.alarm(0)
        if django_ready:
            drop_bench_database(database_url, bench_name)
        else:
            _admin(database_url, f'DROP DATABASE IF EXISTS "{bench_name}"')


if __name__ == "__main__":
    main()
