"""Retention over several clients at once: one run finds them all, shreds them all, purges each in many batches.

test_retention.py checks the rules on one client; this checks that nothing is lost between clients when the
job works through several, each with more messages than one purge batch. The cost is measured, not timed
here: bench/retention_bench.py (README, "Retention").
"""

import uuid
from datetime import timedelta

import pytest

from counseling import clock
from counseling.crypto import DataKeyDestroyed, open_text, seal
from counseling.models import DataKey, User
from records import services as retention
from records.models import RetentionTombstone
from records.services import retention_due, retention_run
from sessions.models import Conversation, Message
from tests.conftest import make_client
from tests.counseling.test_escalation_support import eager_celery  # noqa: F401

pytestmark = pytest.mark.usefixtures("eager_celery")

NOW = clock.now()
LONG_AGO = NOW - timedelta(days=365 * 8)
MESSAGES_PER_CLIENT = 120
BATCH = 50  # so each client's messages take three batches (50, 50, 20); the last, not full, also takes the account


def converse(client, counselor, *, messages, at):
    """A conversation of sealed messages, alternately from client and counselor, all sent at `at`."""
    conversation = Conversation.objects.create(client=client, counselor=counselor)
    rows = []
    for seq in range(1, messages + 1):
        message = Message(
            conversation=conversation,
            seq=seq,
            sender=client if seq % 2 else counselor,
            client_msg_id=uuid.uuid4(),
            created_at=at,
        )
        message.body_sealed = seal(owner_id=client.pk, plaintext=f"session note {seq}", context=message.aad)
        rows.append(message)
    Message.objects.bulk_create(rows)
    User.objects.filter(pk=client.pk).update(date_joined=at, last_login=None)


@pytest.fixture
def former_clients(counselor_a):
    """Three clients whose last contact was eight years ago, each with more messages than one batch holds."""
    clients = [make_client(f"former{i}@clients.test", f"Former client {i}") for i in range(3)]
    for client in clients:
        converse(client, counselor_a, messages=MESSAGES_PER_CLIENT, at=LONG_AGO)
    return clients


@pytest.fixture
def current_client(counselor_a):
    client = make_client("current@clients.test", "Current client")
    converse(client, counselor_a, messages=MESSAGES_PER_CLIENT, at=NOW - timedelta(days=3))
    return client


@pytest.fixture
def purge_batches(monkeypatch):
    """Run the purge in batches of BATCH; record, per call, the client and how many of their messages it deleted."""
    calls = []
    real = retention.client_purge_batch

    def batch(*, client_id, batch_size=BATCH):
        before = Message.objects.filter(conversation__client_id=client_id).count()
        done = real(client_id=client_id, batch_size=BATCH)
        calls.append((client_id, before - Message.objects.filter(conversation__client_id=client_id).count(), done))
        return done

    monkeypatch.setattr(retention, "client_purge_batch", batch)
    return calls


def test_one_run_shreds_every_due_client_before_purging_each_in_bounded_batches(
    former_clients, current_client, counselor_a, purge_batches, django_capture_on_commit_callbacks
):
    former_ids = [client.pk for client in former_clients]
    plans = retention_due(at=NOW)
    assert sorted(plan.client_id for plan in plans) == former_ids
    assert [plan.messages for plan in plans] == [MESSAGES_PER_CLIENT] * 3

    with django_capture_on_commit_callbacks() as queued_purges:
        assert sorted(plan.client_id for plan in retention_run(at=NOW)) == former_ids

    # Shredded, not yet purged: every row is still there and none of them opens any more.
    assert purge_batches == []
    for client_id in former_ids:
        messages = Message.objects.filter(conversation__client_id=client_id)
        assert messages.count() == MESSAGES_PER_CLIENT
        for message in (messages.first(), messages.last()):
            with pytest.raises(DataKeyDestroyed):
                open_text(owner_id=client_id, sealed=message.body_sealed, context=message.aad)
        assert not User.objects.get(pk=client_id).is_active

    for purge in queued_purges:
        purge()

    for client_id in former_ids:
        calls = [(deleted, done) for who, deleted, done in purge_batches if who == client_id]
        assert calls == [(50, False), (50, False), (20, True)]
        assert not User.objects.filter(pk=client_id).exists()
        assert not Conversation.objects.filter(client_id=client_id).exists()
        assert not DataKey.objects.filter(owner_id=client_id).exists()
        assert RetentionTombstone.objects.get(subject_id=client_id).purged_at is not None
    assert not Message.objects.filter(conversation__client_id__in=former_ids).exists()
    assert not Message.objects.filter(sender_id__in=former_ids).exists()

    # The current client, who shares the counselor, keeps every message, readable.
    assert {who for who, _deleted, _done in purge_batches} == set(former_ids)
    kept = Message.objects.filter(conversation__client=current_client).order_by("seq")
    assert kept.count() == MESSAGES_PER_CLIENT
    assert (
        open_text(owner_id=current_client.pk, sealed=kept.last().body_sealed, context=kept.last().aad)
        == f"session note {MESSAGES_PER_CLIENT}"
    )
    assert User.objects.get(pk=current_client.pk).is_active
    assert User.objects.filter(pk=counselor_a.pk).exists()
    assert not RetentionTombstone.objects.filter(subject_id=current_client.pk).exists()
    assert retention_due(at=NOW) == []
