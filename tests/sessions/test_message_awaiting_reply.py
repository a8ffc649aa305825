"""Message.awaiting_reply: computed by the database, and what lets PostgreSQL find the messages a counselor's
reply answers without reading the conversation's whole history."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection

from counseling.clock import now
from sessions.chat import services
from sessions.models import Message

pytestmark = pytest.mark.django_db


def _history(conversation, session, client, counselor, *, pairs: int, waiting: int) -> None:
    """`pairs` client messages each answered by the counselor, then `waiting` client messages not yet answered."""
    at = now() - timedelta(days=30)
    rows, seq = [], 0
    for n in range(pairs + waiting):
        answered = n < pairs
        seq += 1
        rows.append(
            Message(
                conversation=conversation,
                session=session,
                seq=seq,
                sender=client,
                client_msg_id=uuid.uuid4(),
                body_sealed=b"sealed",
                created_at=at,
                reply_due_at=at + timedelta(hours=24),
                answered_at=at if answered else None,
            )
        )
        if answered:
            seq += 1
            rows.append(
                Message(
                    conversation=conversation,
                    session=session,
                    seq=seq,
                    sender=counselor,
                    client_msg_id=uuid.uuid4(),
                    body_sealed=b"sealed",
                    created_at=at,
                )
            )
    Message.objects.bulk_create(rows)
    conversation.last_seq = seq
    conversation.save(update_fields=["last_seq"])


def test_the_database_computes_whether_a_message_awaits_a_reply(chat, client_a, counselor_a):
    conversation, session = chat
    _history(conversation, session, client_a, counselor_a, pairs=1, waiting=1)
    by_seq = {m.seq: m.awaiting_reply for m in Message.objects.filter(conversation=conversation)}
    assert by_seq == {1: False, 2: False, 3: True}  # answered client message, counselor's reply, waiting one
    services._client_messages_answer(conversation=conversation, before_seq=4, at=now())
    assert not Message.objects.filter(conversation=conversation, awaiting_reply=True).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the query plan asserted here is PostgreSQL's")
def test_a_reply_finds_the_waiting_messages_by_a_partial_index_not_the_whole_history(chat, client_a, counselor_a):
    conversation, session = chat
    _history(conversation, session, client_a, counselor_a, pairs=3000, waiting=2)
    table = connection.ops.quote_name(Message._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")
        cursor.execute(
            f"EXPLAIN UPDATE {table} SET answered_at = %s WHERE {services._AWAITING_REPLY_BEFORE}",
            [now(), conversation.pk, conversation.last_seq + 1],
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # Only the partial indexes of waiting messages are read: never the history (message_seq_unique, a scan).
    assert (
        ("message_awaiting_reply" in plan or "message_reply_due" in plan)
        and "message_seq_unique" not in plan
        and "Seq Scan" not in plan
    ), plan
    services._client_messages_answer(conversation=conversation, before_seq=conversation.last_seq + 1, at=now())
    assert Message.objects.filter(conversation=conversation, answered_at__isnull=True, sender=client_a).count() == 0
