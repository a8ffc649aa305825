#!/usr/bin/env python
"""Where one chat message's time goes, step by step, on the real stack (PostgreSQL, Redis pub/sub layer).

    DATABASE_URL=postgresql://counseling:counseling@127.0.0.1:5432/counseling \\
    REDIS_URL=redis://127.0.0.1:6379/8 .venv/bin/python bench/chat_path_profile.py [--messages 300]

In one process, on one event loop, one message at a time (no load: what each step costs by itself), in the
benchmark's database (bench/chat_bench.py makes it): the steps message_post_on_loop takes for an ordinary
message (data key, risk check, sealing and parameters, the store statement and its commit, the event's
publish), a bare round trip for comparison, the same statement without waiting for the WAL flush (measured
here only, on this connection, to see how much of the statement is the durable commit), and k messages
committed together as sessions.chat.committer does (rows locked, then stored and committed; per
message). Prints the median and p90 of each in microseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.chat_bench import bench_database, loopback_only, make_cast  # noqa: E402


def summary(name: str, samples_us: list[float], per: int = 1) -> None:
    data = sorted(s / per for s in samples_us)
    p90 = data[int(0.9 * (len(data) - 1))]
    print(f"  {name:62} median {statistics.median(data):7.0f} us   p90 {p90:7.0f} us")


async def profile(messages: int) -> None:
    from channels.db import database_sync_to_async
    from channels.layers import get_channel_layer
    from django.conf import settings

    from counseling import on_loop
    from counseling.clock import now
    from counseling.crypto import data_key_for, data_key_on_loop, seal
    from crisis.risk import risk_phrase_list
    from sessions.chat import services
    from sessions.chat.events import conversation_group, message_new_event
    from sessions.chat.hooks import client_message_watchers
    from sessions.chat.selectors import message_instance
    from sessions.models import Conversation, Message

    settings.CHANNEL_LAYERS["default"]["BACKEND"] = "channels_redis.pubsub.RedisPubSubChannelLayer"
    conversation = await database_sync_to_async(
        lambda: (
            Conversation.objects.select_related("client", "counselor__counselor_profile")
            .filter(client__email="bench-client-0@bench.test")
            .get()
        )
    )()
    await database_sync_to_async(data_key_for)(owner_id=conversation.client_id)
    await database_sync_to_async(risk_phrase_list)()
    pool = on_loop.postgres()
    layer = get_channel_layer()
    listener = await layer.new_channel()  # a listening socket in another process, as in the chat
    await layer.group_add(conversation_group(conversation.pk), listener)
    last_seq_sql = f"SELECT last_seq FROM {Conversation._meta.db_table} WHERE id = %s"
    last = (await pool.fetchone(last_seq_sql, [conversation.pk]))[0]
    steps: dict[str, list[float]] = {}

    def timed(name: str, started: int) -> None:
        steps.setdefault(name, []).append((time.perf_counter_ns() - started) / 1000)

    def build(expected: int):
        # As message_post_on_loop's statement_for builds them (values, seal, parameters), then the instance.
        at, seq = now(), expected + 1
        aad = Message.aad_for(conversation_id=conversation.pk, sender_id=conversation.client_id, seq=seq)
        values = {
            "conversation_id": conversation.pk,
            "session_id": None,
            "seq": seq,
            "sender_id": conversation.client_id,
            "client_msg_id": uuid.uuid4(),
            "body_sealed": seal(owner_id=conversation.client_id, plaintext="bench message", context=aad, data_key=key),
            "created_at": at,
            "reply_due_at": now(),
        }
        params = [conversation.pk, expected, *services._new_message_values(**values)]
        params.append(conversation.pk)
        return message_instance(values=values), params

    statement = services._store_statement(answers=False)
    for _ in range(messages):
        t = time.perf_counter_ns()
        key = await data_key_on_loop(owner_id=conversation.client_id)
        timed("data key (held)", t)
        t = time.perf_counter_ns()
        any(watcher.quick_check("bench message") is not False for watcher in client_message_watchers())
        timed("risk check on the text in memory", t)
        t = time.perf_counter_ns()
        message, params = build(last)
        timed("message built, sealed, parameters", t)
        t = time.perf_counter_ns()
        await pool.fetchone("SELECT 1", [])
        timed("a bare round trip (SELECT 1)", t)
        t = time.perf_counter_ns()
        stored, _ = await pool.fetchone(statement, params, prepared_as="chat_store_message")
        timed("store statement, committed (durable)", t)
        assert stored is not None
        last += 1
        t = time.perf_counter_ns()
        await layer.group_send(
            conversation_group(conversation.pk), message_new_event(message=message, origin="profile")
        )
        timed("publish of the event (pub/sub layer)", t)
        await asyncio.sleep(0.002)  # one message at a time, as a quiet socket sends them

    # The WAL flush's share: the same statement, this connection only, not waiting for the flush.
    await pool.fetchone("SELECT set_config('synchronous_commit', 'off', false)", [])
    for _ in range(messages):
        _message, params = build(last)
        t = time.perf_counter_ns()
        await pool.fetchone(statement, params, prepared_as="chat_store_message")
        timed("store statement, NOT waiting for the flush (measurement only)", t)
        last += 1
        await asyncio.sleep(0.002)
    await pool.fetchone("SELECT set_config('synchronous_commit', 'on', false)", [])
    on_loop.close_all()
    pool = on_loop.postgres()

    # Group commit: k messages (of k conversations, as the committer forms a batch) in one transaction.
    others = await database_sync_to_async(
        lambda: list(
            Conversation.objects.select_related("client")
            .filter(client__email__startswith="bench-client-")
            .order_by("pk")[:16]
        )
    )()
    for conversation_ in others:
        await database_sync_to_async(data_key_for)(owner_id=conversation_.client_id)
    from sessions.chat.committer import _lock_sql, _outcome_sql

    for k in (1, 2, 4, 8, 16):
        if k > len(others):
            break
        for _ in range(max(20, messages // k)):
            statements, outcome = [], []
            for index, conversation_ in enumerate(others[:k]):
                conversation = conversation_
                key = await data_key_on_loop(owner_id=conversation.client_id)
                expected = (await pool.fetchone(last_seq_sql, [conversation.pk]))[0]
                message, params = build(expected)
                statements.append((statement, params, "chat_store_message"))
                outcome += [index, conversation.pk, message.seq, str(message.client_msg_id), conversation.pk]
            t = time.perf_counter_ns()
            if k == 1:
                await pool.fetchone(*statements[0][:2], prepared_as="chat_store_message")
            else:
                ids = [[conversation_.pk for conversation_ in others[:k]]]
                batch = (statements, _outcome_sql(k), outcome)
                rows = await pool.fetchall_after_lock(_lock_sql(), ids, lambda _locked, batch=batch: batch)
                assert all(row[1] is not None for row in rows)
            steps.setdefault(f"{k:2d} messages in one transaction, per message", []).append(
                (time.perf_counter_ns() - t) / 1000 / k
            )
            await asyncio.sleep(0.002)
    await layer.group_discard(conversation_group(others[0].pk), listener)
    print(f"{messages} messages, one at a time; microseconds per step:")
    for name, samples in steps.items():
        summary(name, samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=300)
    args = parser.parse_args()
    database_url, redis_url = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if not database_url or not redis_url:
        sys.exit("Set DATABASE_URL (PostgreSQL) and REDIS_URL")
    loopback_only(database_url, "DATABASE_URL")
    loopback_only(redis_url, "REDIS_URL")
    os.environ.update(DATABASE_URL=bench_database(database_url), EMBEDDED_SCHEDULER="0", DEBUG="0", HTTPS="0")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "counseling.settings")
    import subprocess

    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, check=True)
    import django

    django.setup()
    make_cast(16)
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    asyncio.run(profile(max(20, min(args.messages, 5000))))
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
