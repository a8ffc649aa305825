"""The chat's store on the event loop builds a message's row and instance without Model.__init__ and each
field's preparation (sessions.chat.services._new_message_values, sessions.chat.selectors.message_instance):
the row sent must be exactly the one save() would send, and the instance the one Message(...) gives."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection

from counseling.clock import now
from sessions.chat import services
from sessions.chat.selectors import message_instance
from sessions.models import Message


def _as_sent(values: list) -> bytes:
    """The row as PostgreSQL receives it: the statement's text itself."""
    with connection.cursor() as cursor:
        return cursor.mogrify(", ".join(["%s"] * len(values)), values)


def _cases(chat, client_a, counselor_a):
    conversation, session = chat
    at = now()
    for sender, in_session, reply_due_at in (
        (client_a, True, at + timedelta(hours=24)),
        (client_a, False, at + timedelta(hours=48)),
        (counselor_a, True, None),
        (counselor_a, False, None),
    ):
        yield {
            "conversation_id": conversation.pk,
            "session_id": session.pk if in_session else None,
            "seq": 41,
            "sender_id": sender.pk,
            "client_msg_id": uuid.uuid4(),
            "body_sealed": b"\x01sealed \x00\xff body",
            "created_at": at,
            "reply_due_at": reply_due_at,
        }


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the event loop stores on PostgreSQL only")
def test_the_row_is_the_one_save_would_store(chat, client_a, counselor_a):
    for values in _cases(chat, client_a, counselor_a):
        message = Message(**values)
        fast = services._new_message_values(**values)
        slow = services._message_values(message)
        assert [type(value) for value in fast] == [type(value) for value in slow]
        assert _as_sent(fast) == _as_sent(slow)


@pytest.mark.django_db
def test_the_instance_is_the_one_message_would_give(chat, client_a, counselor_a):
    for values in _cases(chat, client_a, counselor_a):
        made = Message(**values)
        loaded = message_instance(values={**values, "id": 7})
        for field in Message._meta.concrete_fields:
            if not field.generated:
                expected = 7 if field.primary_key else getattr(made, field.attname)
                assert getattr(loaded, field.attname) == expected, field.attname
        assert loaded.get_deferred_fields() == made.get_deferred_fields() == {"awaiting_reply"}
        assert (
            loaded.aad
            == made.aad
            == Message.aad_for(conversation_id=values["conversation_id"], sender_id=values["sender_id"], seq=41)
        )
        assert not loaded._state.adding and loaded._state.db == connection.alias
