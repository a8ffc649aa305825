"""Chat messages at rest: sealed under the client's key, bound to their place, rotatable, shreddable."""

import base64
import os
import uuid

import pytest
from django.db import connection

from counseling import crypto
from sessions.chat.selectors import message_frame, messages_after, transcript_text
from sessions.chat.services import message_post
from sessions.models import Conversation, Message
from tests.sessions.chat_helpers import open_gates, open_session

pytestmark = pytest.mark.django_db

SECRET = "rahasia-saya-7f3a: saya ingin menyerah"


@pytest.fixture
def chat(client_a, counselor_a, monkeypatch):
    open_gates(monkeypatch)
    return open_session(client_a, counselor_a)


def _post(conversation, sender, body, session=None):
    return message_post(
        conversation=conversation, sender=sender, client_msg_id=uuid.uuid4(), body=body, session=session
    )[0]


def test_the_raw_database_column_never_holds_the_plaintext(chat, client_a):
    conversation, session = chat
    message = _post(conversation, client_a, SECRET, session)
    with connection.cursor() as cursor:
        cursor.execute("SELECT body_sealed FROM counseling_sessions_message WHERE id = %s", [message.pk])
        raw = bytes(cursor.fetchone()[0])
    assert SECRET.encode() not in raw and b"menyerah" not in raw
    assert crypto.open_text(owner_id=client_a.pk, sealed=raw, context=message.aad) == SECRET


def test_messages_are_sealed_under_the_clients_key_even_when_the_counselor_writes(chat, client_a, counselor_a):
    conversation, _ = chat
    message = _post(conversation, counselor_a, "from the counselor")
    assert (
        crypto.open_text(owner_id=client_a.pk, sealed=message.body_sealed, context=message.aad) == "from the counselor"
    )
    with pytest.raises(crypto.DecryptionError):
        crypto.open_sealed(owner_id=counselor_a.pk, sealed=message.body_sealed, context=message.aad)


def test_a_ciphertext_moved_to_another_row_fails_and_is_reported(chat, client_a, caplog):
    conversation, _ = chat
    first = _post(conversation, client_a, SECRET)
    second = _post(conversation, client_a, "harmless")
    Message.objects.filter(pk=second.pk).update(body_sealed=first.body_sealed)
    frames = messages_after(conversation=conversation, after_seq=0)
    assert frames[0]["body"] == SECRET
    assert frames[1]["body"] is None and frames[1]["error"] == "undecryptable"
    assert "could not be decrypted" in caplog.text and SECRET not in caplog.text
    assert "[this message cannot be decrypted]" in transcript_text(conversation=conversation)


def test_a_ciphertext_moved_to_another_conversation_fails_and_is_reported(chat, client_a, counselor_b, monkeypatch):
    conversation, _ = chat
    other, _ = open_session(client_a, counselor_b)
    original = _post(conversation, client_a, SECRET)
    target = _post(other, client_a, "other")
    # Same client key, same sender, same seq: only the conversation differs, and that is enough.
    assert original.seq == target.seq
    Message.objects.filter(pk=target.pk).update(body_sealed=original.body_sealed)
    frame = message_frame(Message.objects.get(pk=target.pk), client_id=client_a.pk)
    assert frame["body"] is None and frame["error"] == "undecryptable"


def test_after_rotation_and_removing_the_old_key_every_message_still_reads(chat, client_a, counselor_a, settings):
    conversation, session = chat
    for n in range(5):
        _post(conversation, client_a if n % 2 else counselor_a, f"message {n}", session)
    old = settings.FIELD_ENCRYPTION_KEYS
    settings.FIELD_ENCRYPTION_KEYS = f"k-new:{base64.b64encode(os.urandom(32)).decode()},{old}"
    crypto.key_cache.evict()
    from django.core.management import call_command

    call_command("rotate_data_keys")
    settings.FIELD_ENCRYPTION_KEYS = settings.FIELD_ENCRYPTION_KEYS.split(",")[0]
    crypto.key_cache.evict()
    assert [f["body"] for f in messages_after(conversation=conversation, after_seq=0)] == [
        f"message {n}" for n in range(5)
    ]
    _post(conversation, client_a, "after rotation")
    assert messages_after(conversation=conversation, after_seq=5)[0]["body"] == "after rotation"


def test_after_shredding_the_clients_key_their_messages_cannot_be_read(chat, client_a, counselor_a, client_b):
    conversation, session = chat
    _post(conversation, client_a, SECRET, session)
    _post(conversation, counselor_a, "the counselor's reply is the client's record too", session)
    other_conversation, _ = open_session(client_b, counselor_a)
    _post(other_conversation, client_b, "someone else")
    assert crypto.data_key_destroy(owner_id=client_a.pk)
    frames = messages_after(conversation=conversation, after_seq=0)
    assert [f["body"] for f in frames] == [None, None]
    assert all(f["error"] == "undecryptable" for f in frames)
    assert messages_after(conversation=other_conversation, after_seq=0)[0]["body"] == "someone else"
    with pytest.raises(crypto.DataKeyDestroyed):
        _post(conversation, counselor_a, "too late")


# Delivery from the event: the layer carries the sealed body, and the receiving socket opens it ------------


def test_the_message_event_carries_the_stored_ciphertext_never_the_plaintext(chat, client_a):
    from sessions.chat.events import message_new_event

    conversation, session = chat
    message = _post(conversation, client_a, SECRET, session)
    event = message_new_event(message=message, origin="x")
    stored = event["stored"]
    assert stored["body_sealed"] == bytes(Message.objects.get(pk=message.pk).body_sealed)
    assert SECRET.encode() not in stored["body_sealed"]
    assert SECRET not in repr(event) and "menyerah" not in repr(event)


@pytest.mark.django_db(transaction=True)  # keys are cached only once committed
def test_a_frame_from_the_event_is_the_frame_read_from_the_database(chat, client_a, counselor_a):
    from sessions.chat.events import message_new_event
    from sessions.chat.selectors import message_frame_at, message_frame_from_event

    conversation, session = chat
    for sender, text in ((client_a, SECRET), (counselor_a, "balasan konselor")):
        message = _post(conversation, sender, text, session)
        event = message_new_event(message=message, origin="x")
        from_event = message_frame_from_event(event=event, conversation=conversation)
        assert from_event is not None and from_event["body"] == text
        assert from_event == message_frame_at(conversation=conversation, seq=message.seq)


@pytest.mark.django_db(transaction=True)  # keys are cached only once committed
def test_without_the_key_in_this_process_the_event_says_read_the_database(chat, client_a):
    from sessions.chat.events import message_new_event
    from sessions.chat.selectors import chat_key_preload, message_frame_from_event

    conversation, session = chat
    event = message_new_event(message=_post(conversation, client_a, SECRET, session), origin="x")
    crypto.key_cache.evict()
    assert message_frame_from_event(event=event, conversation=conversation) is None
    chat_key_preload(conversation=conversation)
    assert message_frame_from_event(event=event, conversation=conversation)["body"] == SECRET


@pytest.mark.django_db(transaction=True)  # keys are cached only once committed
def test_an_event_opened_in_another_conversation_is_reported_not_shown(chat, client_a, counselor_b):
    from sessions.chat.events import message_new_event
    from sessions.chat.selectors import message_frame_from_event

    conversation, session = chat
    event = message_new_event(message=_post(conversation, client_a, SECRET, session), origin="x")
    elsewhere, _ = Conversation.objects.get_or_create(client=client_a, counselor=counselor_b)
    frame = message_frame_from_event(event=event, conversation=elsewhere)
    assert frame["body"] is None and frame["error"] == "undecryptable"
