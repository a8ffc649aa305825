"""A measurement of the retention job's cost (README, "Retention"), not a check of behaviour.

Run it on the real stack with e.g.
    RETENTION_BENCH_MESSAGES=20000 DATABASE_URL=... pytest tests/counseling/test_retention_scale.py -s
It prints the time to find due clients, to crypto-shred them and to delete their rows in batches.
"""
# ruff: noqa: F811  (pytest fixtures imported from test_escalation_support are used as arguments)

import os
import time
import uuid
from datetime import timedelta

import pytest

from counseling import clock
from counseling.crypto import seal
from counseling.models import ClientProfile, Role, User
from counseling.retention import PURGE_BATCH_SIZE, client_purge_batch, client_shred, retention_due
from sessions.models import Conversation, Message
from tests.conftest import make_counselor
from tests.counseling.test_escalation_support import eager_celery  # noqa: F401

MESSAGES = int(os.environ.get("RETENTION_BENCH_MESSAGES", "0") or 0)
CLIENTS = int(os.environ.get("RETENTION_BENCH_CLIENTS", "10") or 10)


@pytest.mark.skipif(not MESSAGES, reason="a measurement, not a check: set RETENTION_BENCH_MESSAGES=20000 to run it")
def test_measure_retention_destruction(transactional_db, eager_celery, monkeypatch):
    from counseling import tasks

    monkeypatch.setattr(tasks.retention_purge_client, "delay", lambda *args: None)  # purge timed separately
    long_ago = clock.now() - timedelta(days=365 * 8)
    counselor = make_counselor("bench.counselor@staff.test", "Bench")
    per_client = MESSAGES // CLIENTS
    clients = []
    for i in range(CLIENTS):
        user = User.objects.create_user(email=f"bench{i}@clients.test", password="x" * 12, role=Role.CLIENT)
        ClientProfile.objects.create(user=user, display_name=f"Bench {i}")
        conversation = Conversation.objects.create(client=user, counselor=counselor)
        rows = []
        for seq in range(1, per_client + 1):
            sender = user if seq % 2 else counselor
            aad = f"message:{conversation.pk}:{sender.pk}:{seq}"
            rows.append(Message(conversation=conversation, seq=seq, sender=sender, client_msg_id=uuid.uuid4(),
                                body_sealed=seal(owner_id=user.pk, plaintext="x" * 200, context=aad),
                                created_at=long_ago))
        Message.objects.bulk_create(rows, batch_size=2000)
        User.objects.filter(pk=user.pk).update(date_joined=long_ago)
        clients.append(user.pk)
    assert Message.objects.count() == per_client * CLIENTS

    started = time.perf_counter()
    plans = retention_due()
    found = time.perf_counter() - started
    assert sorted(plan.client_id for plan in plans) == sorted(clients)

    started = time.perf_counter()
    for plan in plans:
        assert client_shred(client_id=plan.client_id, rule=plan.rule)
    shredded = time.perf_counter() - started

    started = time.perf_counter()
    batches = 0
    for client_id in clients:
        done = False
        while not done:
            done = client_purge_batch(client_id=client_id)
            batches += 1
    purged = time.perf_counter() - started
    assert Message.objects.count() == 0 and not User.objects.filter(pk__in=clients).exists()

    total = per_client * CLIENTS
    rate = total / purged
    print(f"\nretention bench on {(os.environ.get('DATABASE_URL') and 'PostgreSQL') or 'SQLite'}: "
          f"{CLIENTS} clients, {total} messages, batch {PURGE_BATCH_SIZE}\n"
          f"  find due clients: {found * 1000:.0f} ms ({found / CLIENTS * 1000:.1f} ms per client)\n"
          f"  crypto-shred:     {shredded * 1000:.0f} ms ({shredded / CLIENTS * 1000:.1f} ms per client)\n"
          f"  delete rows:      {purged:.2f} s in {batches} batches ({rate:,.0f} messages/s)\n"
          f"  extrapolated to 1,000,000 messages: rows deleted in {1_000_000 / rate / 60:.1f} min "
          f"({1_000_000 // PURGE_BATCH_SIZE} batches); shredding stays {shredded / CLIENTS * 1000:.1f} ms per client")
