"""The purge after crypto-shredding: bounded batches, only the client's rows, what points at them released,
the audit entry written once, and an interrupted purge resumed from what is left.

The purge deletes chat messages without Django's collector (records.services._rows_delete_batch): on
PostgreSQL one statement per batch, elsewhere ids then one DELETE. These tests run on both databases."""

import threading
import uuid

import pytest
from django.db import close_old_connections, connection
from django.db.models.signals import post_delete

from counseling.audit import audit_chain_verify
from counseling.crypto import seal
from counseling.models import AuditEntry, DataKey, User
from crisis.models import Escalation, EscalationKind, Severity
from records import services as retention
from records import tasks
from records.models import LegalHold, RetentionTombstone
from records.services import client_purge_batch, client_shred
from sessions.models import Conversation, Message
from tests.counseling.test_escalation_support import eager_celery  # noqa: F401

pytestmark = pytest.mark.usefixtures("eager_celery")

MESSAGES = 23
BATCH = 5  # 23 messages: four full batches, then one of 3 that also takes the account


def converse(client, counselor, *, messages=MESSAGES):
    """A conversation of sealed messages, alternately from client and counselor."""
    conversation = Conversation.objects.create(client=client, counselor=counselor)
    rows = []
    for seq in range(1, messages + 1):
        message = Message(
            conversation=conversation, seq=seq, sender=client if seq % 2 else counselor, client_msg_id=uuid.uuid4()
        )
        message.body_sealed = seal(owner_id=client.pk, plaintext=f"line {seq}", context=message.aad)
        rows.append(message)
    Message.objects.bulk_create(rows)
    return conversation


def escalation_about(message, *, key):
    return Escalation.objects.create(
        client=message.conversation.client,
        message=message,
        kind=EscalationKind.RISK_PHRASE,
        severity=Severity.HIGH,
        dedupe_key=key,
    )


@pytest.fixture
def shredded(client_a, counselor_a):
    converse(client_a, counselor_a)
    assert client_shred(client_id=client_a.pk, rule="test rule")
    return client_a


@pytest.fixture
def other_client(client_b, counselor_a):
    """Another client of the same counselor, with messages and an escalation naming one of them."""
    conversation = converse(client_b, counselor_a)
    escalation_about(conversation.messages.get(seq=3), key="other")
    return client_b


def messages_of(client):
    return Message.objects.filter(conversation__client=client)


def purge_in_batches(client, batch_size=BATCH):
    """Call the purge until it is done; the number of the client's messages each call deleted, and its answer."""
    calls = []
    done = False
    while not done:
        before = messages_of(client).count()
        done = client_purge_batch(client_id=client.pk, batch_size=batch_size)
        calls.append((before - messages_of(client).count(), done))
        assert len(calls) <= 20, "the purge does not end"
    return calls


def test_each_call_deletes_at_most_one_batch_and_the_last_takes_the_account(shredded, other_client):
    calls = purge_in_batches(shredded)

    assert calls == [(5, False), (5, False), (5, False), (5, False), (3, True)]
    assert not User.objects.filter(pk=shredded.pk).exists()
    assert not Conversation.objects.filter(client_id=shredded.pk).exists()
    assert not DataKey.objects.filter(owner_id=shredded.pk).exists()
    assert RetentionTombstone.objects.get(subject_id=shredded.pk).purged_at is not None


def test_a_last_full_batch_is_followed_by_one_call_for_the_account(client_a, counselor_a):
    converse(client_a, counselor_a, messages=10)
    client_shred(client_id=client_a.pk, rule="test rule")

    assert purge_in_batches(client_a) == [(5, False), (5, False), (0, True)]
    assert not User.objects.filter(pk=client_a.pk).exists()


def test_nothing_of_another_client_is_deleted_or_released(shredded, other_client, counselor_a):
    kept = list(messages_of(other_client).order_by("seq").values_list("pk", "body_sealed"))

    purge_in_batches(shredded)

    assert list(messages_of(other_client).order_by("seq").values_list("pk", "body_sealed")) == kept
    assert Escalation.objects.get(dedupe_key="other").message.seq == 3
    assert User.objects.get(pk=other_client.pk).is_active
    assert User.objects.filter(pk=counselor_a.pk).exists()
    assert not Message.objects.filter(sender=shredded).exists()


def test_an_escalation_naming_a_purged_message_is_released_then_goes_with_the_account(shredded):
    escalation = escalation_about(messages_of(shredded).get(seq=7), key="shredded")

    # One batch as large as all the messages: they are gone, the account not yet.
    assert client_purge_batch(client_id=shredded.pk, batch_size=MESSAGES) is False
    assert not messages_of(shredded).exists()
    escalation.refresh_from_db()
    assert escalation.message_id is None

    assert client_purge_batch(client_id=shredded.pk, batch_size=MESSAGES) is True
    assert not Escalation.objects.filter(pk=escalation.pk).exists()  # CASCADE from the account


def test_the_purge_is_audited_once_and_the_chain_still_verifies(shredded, other_client):
    purge_in_batches(shredded)
    assert client_purge_batch(client_id=shredded.pk) is True  # once more: nothing to do, nothing written

    actions = list(
        AuditEntry.objects.filter(target_id=str(shredded.pk), action__startswith="retention.").values_list(
            "action", flat=True
        )
    )
    assert actions == ["retention.client_shredded", "retention.client_purged"]
    assert audit_chain_verify().ok


def test_an_interrupted_last_batch_is_rolled_back_whole_and_the_next_call_finishes(shredded, monkeypatch):
    for _full in range(4):
        assert client_purge_batch(client_id=shredded.pk, batch_size=BATCH) is False
    real = retention._account_delete

    def worker_lost(client_id):
        raise ConnectionError("worker lost")

    # The call that deletes the last 3 messages and then the account fails half way: all of it is undone.
    monkeypatch.setattr(retention, "_account_delete", worker_lost)
    with pytest.raises(ConnectionError):
        client_purge_batch(client_id=shredded.pk, batch_size=BATCH)
    assert messages_of(shredded).count() == 3
    assert User.objects.filter(pk=shredded.pk).exists()
    assert RetentionTombstone.objects.get(subject_id=shredded.pk).purged_at is None
    assert not AuditEntry.objects.filter(action="retention.client_purged", subject_id=shredded.pk).exists()

    monkeypatch.setattr(retention, "_account_delete", real)
    assert purge_in_batches(shredded) == [(3, True)]
    assert AuditEntry.objects.filter(action="retention.client_purged", subject_id=shredded.pk).count() == 1


def test_a_purge_whose_worker_stopped_between_batches_is_resumed_by_the_daily_run(
    shredded, django_capture_on_commit_callbacks
):
    assert client_purge_batch(client_id=shredded.pk, batch_size=BATCH) is False
    assert client_purge_batch(client_id=shredded.pk, batch_size=BATCH) is False
    # No further batch was queued (the worker died). The daily run finds the unfinished tombstone.
    with django_capture_on_commit_callbacks(execute=True):
        assert retention.retention_run() == []

    assert not messages_of(shredded).exists()
    assert not User.objects.filter(pk=shredded.pk).exists()
    assert RetentionTombstone.objects.get(subject_id=shredded.pk).purged_at is not None
    assert AuditEntry.objects.filter(action="retention.client_purged", subject_id=shredded.pk).count() == 1


def test_a_legal_hold_placed_between_batches_stops_the_purge(shredded, admin_user):
    assert client_purge_batch(client_id=shredded.pk, batch_size=BATCH) is False
    LegalHold.objects.create(client=shredded, reason="court order", placed_by=admin_user)

    assert client_purge_batch(client_id=shredded.pk, batch_size=BATCH) is True
    assert messages_of(shredded).count() == MESSAGES - BATCH
    assert User.objects.filter(pk=shredded.pk).exists()
    assert RetentionTombstone.objects.get(subject_id=shredded.pk).purged_at is None
    assert not AuditEntry.objects.filter(action="retention.client_purged", subject_id=shredded.pk).exists()


def test_a_delete_listener_on_messages_still_hears_every_purged_message(shredded):
    heard = []

    def listener(sender, instance, **kwargs):
        heard.append(instance.pk)

    expected = set(messages_of(shredded).values_list("pk", flat=True))
    post_delete.connect(listener, sender=Message, dispatch_uid="test_purge_listener")
    try:
        purge_in_batches(shredded)
    finally:
        post_delete.disconnect(sender=Message, dispatch_uid="test_purge_listener")
    assert set(heard) == expected


def test_only_rows_that_nothing_cascades_from_skip_django_s_collector():
    # A message: only the escalation's SET_NULL points at it, so the purge deletes it with plain SQL.
    assert retention._set_null_references(Message) == [Escalation._meta.get_field("message")]
    # A conversation: its covers CASCADE and its messages PROTECT it, so Django's collector deletes it.
    assert retention._set_null_references(Conversation) is None


@pytest.mark.django_db(transaction=True)
def test_a_second_worker_on_the_same_client_waits_and_the_purge_is_audited_once(client_a, counselor_a, monkeypatch):
    """Real threads, each with its own database connection: the daily run re-drove a purge while the first
    worker was in its last batch. The second waits for the first to commit, then finds nothing to do."""
    converse(client_a, counselor_a, messages=3)
    # Outside a test transaction the shred's on-commit purge would run at once (eager Celery): not queued here.
    monkeypatch.setattr(tasks.retention_purge_client, "delay", lambda *args, **kwargs: None)
    client_shred(client_id=client_a.pk, rule="test rule")
    in_last_batch, let_go = threading.Event(), threading.Event()
    real = retention._account_delete

    def account_delete_held_open(client_id):
        if not in_last_batch.is_set():  # the first worker stops here, its transaction open
            in_last_batch.set()
            let_go.wait(timeout=20)
        real(client_id)

    monkeypatch.setattr(retention, "_account_delete", account_delete_held_open)
    answers, errors = {}, []

    def worker(name):
        try:
            answers[name] = client_purge_batch(client_id=client_a.pk, batch_size=BATCH)
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    first = threading.Thread(target=worker, args=("first",))
    first.start()
    assert in_last_batch.wait(timeout=20), errors
    second = threading.Thread(target=worker, args=("second",))
    second.start()
    second.join(timeout=1)  # it must wait for the first, whose transaction is still open
    assert second.is_alive()
    let_go.set()
    for thread in (first, second):
        thread.join(timeout=60)

    assert errors == []
    assert answers == {"first": True, "second": True}
    assert not messages_of(client_a).exists()
    assert not User.objects.filter(pk=client_a.pk).exists()
    assert AuditEntry.objects.filter(action="retention.client_purged", subject_id=client_a.pk).count() == 1
    assert audit_chain_verify().ok
