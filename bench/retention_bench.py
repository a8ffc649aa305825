#!/usr/bin/env python
"""Retention cost benchmark against PostgreSQL: finding due clients, crypto-shredding, deleting rows in batches.

    DATABASE_URL=postgresql://counseling:counseling@127.0.0.1:5432/counseling \\
    .venv/bin/python bench/retention_bench.py [--clients 10,40] [--messages 20000,1000000] [--batch N]

What it does, bounded in size and time and on loopback only:
- creates its own database `<name>_bench_retention` next to DATABASE_URL's (dropped first if an
  interrupted run left it), migrates it, and drops it again at the end, whatever happens;
- for each size: builds N clients whose last contact was 8 years ago, each with one conversation holding
  `--messages / --clients` messages, and N more recent clients with as many (the baseline's). The first
  SEALED_PER_CLIENT messages of each client are sealed under their data key as the chat seals them; the rest
  copy those ciphertexts with one INSERT ... SELECT generate_series per client (realistic sizes, not
  openable: nothing here opens them). VACUUM ANALYZE, so both sets start alike;
- times `retention_due()` (which must find exactly those N), `client_shred` for each client, and
  `client_purge_batch` called until each client is done (batches of PURGE_BATCH_SIZE, as the worker runs them);
- baseline, measured in the same run, on the same table with the same indexes: the other N clients' same
  rows deleted as plainly as the database allows, one transaction per client: one SQL UPDATE per foreign
  key that points at messages (crisis's escalation.message, SET NULL, as Django would do), one SQL DELETE
  of the client's messages, then the conversations, data key and account through Django's delete (the
  account's cascade, as the purge's last batch does it). No batches, no hold check, no tombstone, no audit.
  The purge and the baseline alternate client by client, so load from other work on the machine falls on
  both; the purge/baseline ratio is the figure to compare between runs, the absolute times depend on the
  machine.
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
WALL_CLOCK_LIMIT = 30 * 60  # the whole run is stopped after this many seconds, whatever happens
MAX_MESSAGES = 1_000_000  # per set (the purged set and the baseline set each hold this many at most)
MAX_CLIENTS = 200


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


# Plaintext lengths of the sealed messages, cycled: chat lines from a word to a long paragraph (mean 200).
BODY_LENGTHS = (20, 60, 120, 200, 280, 520)
SEALED_PER_CLIENT = 600  # sealed one by one in Python; the rest of a client's messages copy these blobs


def make_clients(*, clients: int, per_client: int, counselor, last_contact, label: str) -> list[int]:
    """N clients, each with one conversation of `per_client` sealed messages, all dated `last_contact`.

    The first SEALED_PER_CLIENT messages are sealed under the client's data key, as the chat seals them;
    the rest are written by one INSERT ... SELECT generate_series per client that copies those ciphertexts
    (same sizes, same columns, a fresh client_msg_id each), so a million rows take seconds, not an hour.
    A copied body would not open under its own row's associated data; nothing here opens them."""
    from django.db import connection, transaction

    from counseling.crypto import seal
    from counseling.models import ClientProfile, Role, User
    from sessions.models import Conversation, Message

    ids = []
    for i in range(clients):
        with transaction.atomic():
            user = User(email=f"{label}-{i}@retention.bench", role=Role.CLIENT)
            user.set_unusable_password()
            user.save()
            ClientProfile.objects.create(user=user, display_name=f"{label} {i}")
            conversation = Conversation.objects.create(client=user, counselor=counselor, last_seq=per_client)
            sealed = min(per_client, SEALED_PER_CLIENT)
            rows = []
            for seq in range(1, sealed + 1):
                message = Message(
                    conversation=conversation,
                    seq=seq,
                    sender=user if seq % 2 else counselor,
                    client_msg_id=uuid.uuid4(),
                    created_at=last_contact,
                )
                body = "x" * BODY_LENGTHS[seq % len(BODY_LENGTHS)]
                message.body_sealed = seal(owner_id=user.pk, plaintext=body, context=message.aad)
                rows.append(message)
            Message.objects.bulk_create(rows, batch_size=2000)
            if per_client > sealed:
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"""
                        INSERT INTO {Message._meta.db_table}
                            (conversation_id, seq, sender_id, client_msg_id, body_sealed, created_at)
                        SELECT %(conversation)s, g, CASE WHEN g %% 2 = 1 THEN %(client)s ELSE %(counselor)s END,
                               gen_random_uuid(), source.body_sealed, %(at)s
                        FROM generate_series(%(first)s, %(last)s) AS g
                        JOIN {Message._meta.db_table} AS source
                          ON source.conversation_id = %(conversation)s AND source.seq = 1 + (g %% %(sealed)s)
                        """,
                        {
                            "conversation": conversation.pk,
                            "client": user.pk,
                            "counselor": counselor.pk,
                            "at": last_contact,
                            "first": sealed + 1,
                            "last": per_client,
                            "sealed": sealed,
                        },
                    )
            User.objects.filter(pk=user.pk).update(date_joined=last_contact)
        ids.append(user.pk)
    return ids


def settle() -> None:
    """Both sets start alike: statistics fresh, hint bits and visibility map set. (CHECKPOINT would need a
    superuser; checkpoints fall where they fall, on the purge and the baseline alike as they alternate.)"""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def message_references() -> list[tuple[str, str, object]]:
    """Every foreign key pointing at Message: the plain delete must do what Django does for each."""
    from sessions.models import Message

    return [
        (rel.related_model._meta.db_table, rel.field.column, rel.on_delete)
        for rel in Message._meta.related_objects
        if not rel.many_to_many
    ]


def plain_delete_client(client_id: int) -> float:
    """The baseline: the same rows as the purge, deleted as plainly as the database allows, in one transaction.

    One SQL UPDATE per foreign key that points at messages (only crisis's escalation.message, SET NULL), one
    SQL DELETE of every message of the client's conversations, then the account and what hangs on it through
    Django's delete (the conversations and the data key first: they PROTECT the account). No batches, no legal
    hold check, no tombstone, no audit entry. Returns the seconds the account and its dependents took (to commit)."""
    from django.db import connection, transaction
    from django.db.models import SET_NULL

    from counseling.models import DataKey, User
    from sessions.models import Conversation, Message

    messages = Message._meta.db_table
    mine = (
        f"SELECT m.id FROM {messages} m JOIN {Conversation._meta.db_table} c ON c.id = m.conversation_id "
        "WHERE c.client_id = %s"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        for table, column, on_delete in message_references():
            assert on_delete is SET_NULL, f"{table}.{column}: the baseline only knows SET_NULL"
            cursor.execute(f"UPDATE {table} SET {column} = NULL WHERE {column} IN ({mine})", [client_id])
        cursor.execute(
            f"DELETE FROM {messages} m USING {Conversation._meta.db_table} c "
            "WHERE m.conversation_id = c.id AND c.client_id = %s",
            [client_id],
        )
        started = time.perf_counter()
        Conversation.objects.filter(client_id=client_id).delete()
        DataKey.objects.filter(owner_id=client_id).delete()
        User.objects.filter(pk=client_id).delete()
        account = time.perf_counter() - started
    return account


def measure(*, clients: int, per_client: int, batch_size: int) -> dict:
    from datetime import timedelta

    from counseling import clock
    from counseling.crypto import DataKeyDestroyed, open_text
    from counseling.models import AuditEntry, CounselorProfile, Role, User
    from records import tasks
    from records.models import RetentionTombstone
    from records.services import client_purge_batch, client_shred, retention_due
    from sessions.models import Message

    # The shred queues the purge on commit; here the purge is timed directly, so nothing is queued.
    tasks.retention_purge_client.delay = lambda *args, **kwargs: None
    counselor, _created = User.objects.get_or_create(
        email="counselor@retention.bench", defaults={"role": Role.COUNSELOR, "password": "!"}
    )
    CounselorProfile.objects.get_or_create(
        user=counselor,
        defaults={"display_name": "Counselor", "professional_title": "Psikolog", "practice_location": "Yogyakarta"},
    )
    long_ago = clock.now() - timedelta(days=365 * 8)
    label = f"n{clients * per_client}"

    started = time.perf_counter()
    due_clients = make_clients(
        clients=clients, per_client=per_client, counselor=counselor, last_contact=long_ago, label=f"due-{label}"
    )
    # The baseline set: same shape, recent (not due).
    baseline_clients = make_clients(
        clients=clients, per_client=per_client, counselor=counselor, last_contact=clock.now(), label=f"base-{label}"
    )
    settle()
    print(
        f"  built 2 x {clients} clients x {per_client:,} sealed messages in {time.perf_counter() - started:.1f} s",
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

    purge_messages = purge_final = baseline = baseline_accounts = longest_batch = 0.0
    batches = 0

    def purge(client_id: int) -> None:
        nonlocal purge_messages, purge_final, batches, longest_batch
        done = False
        while not done:
            started = time.perf_counter()
            done = client_purge_batch(client_id=client_id, batch_size=batch_size)
            elapsed = time.perf_counter() - started
            batches += 1
            longest_batch = max(longest_batch, elapsed)
            if done:  # the last call deletes the user and what hangs on it, and closes the tombstone
                purge_final += elapsed
            else:
                purge_messages += elapsed

    def plain_delete(client_id: int) -> None:
        nonlocal baseline, baseline_accounts
        started = time.perf_counter()
        baseline_accounts += plain_delete_client(client_id)  # within the transaction; the commit is not in it
        baseline += time.perf_counter() - started

    load_before = os.getloadavg()[0]
    for i, (due_id, baseline_id) in enumerate(zip(due_clients, baseline_clients, strict=True)):
        if i % 2:  # alternate which goes first, so neither always runs on a warmer cache
            plain_delete(baseline_id)
            purge(due_id)
        else:
            purge(due_id)
            plain_delete(baseline_id)
    load_after = os.getloadavg()[0]

    left = Message.objects.filter(conversation__client_id__in=due_clients + baseline_clients).count()
    if (
        left
        or User.objects.filter(pk__in=due_clients + baseline_clients).exists()
        or RetentionTombstone.objects.filter(subject_id__in=due_clients, purged_at__isnull=True).exists()
        or AuditEntry.objects.filter(action="retention.client_purged", subject_id__in=due_clients).count() != clients
    ):
        sys.exit(f"purge incomplete: {left} messages left, or users, tombstones or audit entries not as expected")

    total = per_client * clients
    purged = purge_messages + purge_final
    ratio = purged / baseline
    print(
        f"\n{clients} clients, {total:,} messages ({per_client:,} each), purge batch {batch_size:,}; load average "
        f"{load_before:.1f} before the deletes, {load_after:.1f} after\n"
        f"  find due clients: {found * 1000:.0f} ms ({found / clients * 1000:.1f} ms per client)\n"
        f"  crypto-shred:     {shredded * 1000:.0f} ms ({shredded / clients * 1000:.1f} ms per client)\n"
        f"  purge:            {purged:.2f} s in {batches} batches ({total / purged:,.0f} messages/s; longest batch "
        f"{longest_batch * 1000:.0f} ms); of which the last batch per client (account and dependents, tombstone, "
        f"audit entry): {purge_final / clients * 1000:.1f} ms per client\n"
        f"  baseline:         {baseline:.2f} s, one plain transaction per client ({total / baseline:,.0f} messages/s); "
        f"of which the account and dependents (to the commit): {baseline_accounts / clients * 1000:.1f} ms per client\n"
        f"  purge/baseline:   {ratio:.2f}",
        flush=True,
    )
    return {"messages": total, "purge": purged, "baseline": baseline, "ratio": ratio}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--clients", default="10", help=f"clients to destroy per run, 1..{MAX_CLIENTS}; a comma list: one per size"
    )
    parser.add_argument(
        "--messages",
        default="20000",
        help=f"messages in total per run, split evenly over the clients, at most {MAX_MESSAGES:,} (the baseline "
        "deletes as many again); a comma list runs each size in turn, e.g. --messages 20000,1000000 --clients 20,100",
    )
    parser.add_argument("--batch", type=int, default=None, help="purge batch size (default: PURGE_BATCH_SIZE)")
    args = parser.parse_args()
    try:
        sizes = [int(value) for value in args.messages.split(",")]
        counts = [int(value) for value in args.clients.split(",")]
    except ValueError:
        sys.exit("--messages and --clients take whole numbers, comma-separated")
    if len(counts) == 1:
        counts = counts * len(sizes)
    if len(counts) != len(sizes):
        sys.exit("give one --clients for all sizes, or one per size")
    for clients, messages in zip(counts, sizes, strict=True):
        if not 1 <= clients <= MAX_CLIENTS or not clients <= messages <= MAX_MESSAGES:
            sys.exit(f"--clients must be 1..{MAX_CLIENTS} and --messages clients..{MAX_MESSAGES:,}")
    if args.batch is not None and not 1 <= args.batch <= 50000:
        sys.exit("--batch must be 1..50000")
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
        results = [
            measure(clients=clients, per_client=messages // clients, batch_size=args.batch or PURGE_BATCH_SIZE)
            for clients, messages in zip(counts, sizes, strict=True)
        ]
        print(f"\nload average after: {os.getloadavg()[0]:.1f}")
        for result in results:
            print(
                f"{result['messages']:>10,} messages: purge {result['purge']:.2f} s, "
                f"baseline {result['baseline']:.2f} s, purge/baseline {result['ratio']:.2f}"
            )
    finally:
        signal.alarm(0)
        if django_ready:
            drop_bench_database(database_url, bench_name)
        else:
            _admin(database_url, f'DROP DATABASE IF EXISTS "{bench_name}"')


if __name__ == "__main__":
    main()
