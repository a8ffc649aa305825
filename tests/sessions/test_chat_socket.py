"""The chat socket: who may join, delivery, acknowledgement after storage, resync, receipts, typing."""

import uuid

import pytest
from channels.db import database_sync_to_async

from counseling.gates import GateResult
from sessions.chat.services import break_glass_open
from sessions.models import Conversation, Message
from tests.conftest import make_client
from tests.sessions.chat_helpers import (
    chat_application,
    chat_path,
    chat_socket,
    open_session,
)

application = chat_application()

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def _joined(user, conversation, session=None):
    socket = await chat_socket(application, user, chat_path(conversation, session))
    connected, _ = await socket.connect()
    assert connected
    hello = await socket.receive_json_from(timeout=3)
    assert hello["type"] == "hello"
    return socket, hello


async def _send(socket, body, msg_id=None):
    msg_id = msg_id or str(uuid.uuid4())
    await socket.send_json_to({"type": "send", "client_msg_id": msg_id, "body": body})
    return msg_id


async def test_client_and_counselor_chat_and_the_message_is_stored_before_the_ack(chat, client_a, counselor_a):
    conversation, session = chat
    client, _ = await _joined(client_a, conversation, session)
    counselor, hello = await _joined(counselor_a, conversation, session)
    assert hello["read_only"] is False and hello["session"] == session.pk
    msg_id = await _send(client, "Halo, saya cemas hari ini")
    ack = await client.receive_json_from(timeout=3)
    assert ack["type"] == "ack" and ack["client_msg_id"] == msg_id and ack["seq"] == 1
    stored = await database_sync_to_async(Message.objects.get)(conversation=conversation, seq=1)
    assert str(stored.client_msg_id) == msg_id and stored.session_id == session.pk
    delivered = await counselor.receive_json_from(timeout=3)
    assert delivered["type"] == "message" and delivered["body"] == "Halo, saya cemas hari ini"
    assert delivered["seq"] == 1 and delivered["from_client"] is True
    assert await client.receive_nothing(timeout=0.2)  # the sender is not sent its own message again
    await counselor.disconnect()
    await client.disconnect()


def _record_reads_back(monkeypatch) -> list:
    import sessions.chat.selectors

    read_back = []
    original = sessions.chat.selectors.message_frame_at

    def recording_frame_at(**kwargs):
        read_back.append(kwargs["seq"])
        return original(**kwargs)

    monkeypatch.setattr(sessions.chat.selectors, "message_frame_at", recording_frame_at)
    return read_back


async def test_delivery_opens_the_message_from_its_event_without_reading_it_back(
    chat, client_a, counselor_a, monkeypatch
):
    read_back = _record_reads_back(monkeypatch)
    conversation, session = chat
    client, _ = await _joined(client_a, conversation, session)
    counselor, _ = await _joined(counselor_a, conversation, session)
    for body in ("pertama", "kedua"):
        await _send(client, body)
        assert (await client.receive_json_from(timeout=3))["type"] == "ack"
        assert (await counselor.receive_json_from(timeout=3))["body"] == body
    assert read_back == []
    await counselor.disconnect()
    await client.disconnect()


async def test_a_socket_whose_process_lacks_the_key_reads_the_message_back(chat, client_a, counselor_a, monkeypatch):
    """The event's ciphertext is a shortcut; without the client's key held here, delivery reads the row."""
    read_back = _record_reads_back(monkeypatch)
    monkeypatch.setattr("sessions.chat.selectors.cached_data_key", lambda **kw: None)
    conversation, session = chat
    client, _ = await _joined(client_a, conversation, session)
    counselor, _ = await _joined(counselor_a, conversation, session)
    await _send(client, "dibaca dari basis data")
    assert (await client.receive_json_from(timeout=3))["type"] == "ack"
    delivered = await counselor.receive_json_from(timeout=3)
    assert delivered["body"] == "dibaca dari basis data" and read_back == [delivered["seq"]]
    await counselor.disconnect()
    await client.disconnect()


async def test_anonymous_user_is_refused(chat):
    conversation, session = chat
    socket = await chat_socket(application, None, chat_path(conversation, session))
    connected, code = await socket.connect()
    assert not connected and code == 4401


async def test_wrong_origin_is_refused(chat, client_a):
    conversation, session = chat
    socket = await chat_socket(application, client_a, chat_path(conversation, session), origin=b"https://evil.example")
    connected, _ = await socket.connect()
    assert not connected


async def test_a_non_participant_client_is_refused(chat, client_b):
    conversation, session = chat
    socket = await chat_socket(application, client_b, chat_path(conversation, session))
    connected, code = await socket.connect()
    assert not connected and code == 4403


async def test_another_counselor_is_refused(chat, counselor_b):
    conversation, _ = chat
    socket = await chat_socket(application, counselor_b, chat_path(conversation))
    connected, code = await socket.connect()
    assert not connected and code == 4403


async def test_a_client_of_another_counselor_cannot_reach_this_conversation(chat, counselor_b):
    conversation, session = chat
    other = await database_sync_to_async(make_client)("c@clients.test", "Client C")
    await database_sync_to_async(open_session)(other, counselor_b)
    socket = await chat_socket(application, other, chat_path(conversation, session))
    connected, code = await socket.connect()
    assert not connected and code == 4403


async def test_a_session_of_another_pair_cannot_be_used_with_this_conversation(chat, client_b, counselor_a):
    conversation, _ = chat
    _, other_session = await database_sync_to_async(open_session)(client_b, counselor_a)
    socket = await chat_socket(application, counselor_a, chat_path(conversation, other_session))
    connected, code = await socket.connect()
    assert not connected and code == 4403


async def test_counselor_without_second_factor_is_refused(chat, counselor_a):
    conversation, session = chat
    socket = await chat_socket(application, counselor_a, chat_path(conversation, session), second_factor=False)
    connected, code = await socket.connect()
    assert not connected and code == 4403


async def test_a_refused_session_gate_refuses_the_socket_with_its_message(chat, client_a, monkeypatch):
    conversation, session = chat
    monkeypatch.setattr(
        "sessions.selectors.consent_gate",
        lambda **kw: GateResult.refuse("consent_missing", "Please read and accept the terms first.", "/consent/"),
    )
    socket = await chat_socket(application, client_a, chat_path(conversation, session))
    connected, _ = await socket.connect()
    assert connected  # accepted only to say why
    error = await socket.receive_json_from(timeout=3)
    assert error == {
        "type": "error",
        "code": "gate_refused",
        "message": "Please read and accept the terms first.",
        "reason": "consent_missing",
        "action_url": "/consent/",
    }
    assert (await socket.receive_output(timeout=3))["code"] == 4409


async def test_the_real_gates_refuse_while_they_fail_closed(client_a, counselor_a):
    conversation, session = await database_sync_to_async(open_session)(client_a, counselor_a)
    socket = await chat_socket(application, client_a, chat_path(conversation, session))
    await socket.connect()
    error = await socket.receive_json_from(timeout=3)
    assert error["code"] == "gate_refused" and error["reason"]
    assert (await socket.receive_output(timeout=3))["code"] == 4409


async def test_a_session_that_is_not_open_refuses_its_chat(chat, client_a):
    conversation, session = chat
    session.state = "completed"
    await database_sync_to_async(session.save)(update_fields=["state"])
    socket = await chat_socket(application, client_a, chat_path(conversation, session))
    await socket.connect()
    assert (await socket.receive_json_from(timeout=3))["reason"] == "session_not_open"


async def test_recheck_closes_the_socket_when_the_gate_now_refuses(chat, client_a, monkeypatch):
    from asgiref.sync import sync_to_async
    from django.db import transaction

    from sessions.chat.events import chat_close_on_commit

    conversation, session = chat
    socket, _ = await _joined(client_a, conversation, session)
    monkeypatch.setattr("sessions.selectors.consent_gate", lambda **kw: GateResult.refuse("consent_withdrawn", "gone"))

    def withdraw():
        with transaction.atomic():
            chat_close_on_commit(conversation_id=conversation.pk, reason="consent_withdrawn")

    await sync_to_async(withdraw)()
    error = await socket.receive_json_from(timeout=3)
    assert error["code"] == "gate_refused" and error["reason"] == "consent_withdrawn"
    assert (await socket.receive_output(timeout=3))["code"] == 4409


async def test_messages_between_sessions_use_the_conversation_gate(chat, client_a, counselor_a, monkeypatch):
    conversation, _ = chat
    client, hello = await _joined(client_a, conversation)
    assert hello["session"] is None and hello["response_time_promise_hours"] == 24
    await _send(client, "Between sessions")
    ack = await client.receive_json_from(timeout=3)
    assert ack["reply_due_at"] is not None
    stored = await database_sync_to_async(Message.objects.get)(conversation=conversation, seq=1)
    assert stored.session_id is None
    assert (stored.reply_due_at - stored.created_at).total_seconds() == 24 * 3600
    await client.disconnect()
    monkeypatch.setattr("sessions.selectors.jurisdiction_gate", lambda **kw: GateResult.refuse("no_licence_there", "x"))
    refused = await chat_socket(application, client_a, chat_path(conversation))
    await refused.connect()
    assert (await refused.receive_json_from(timeout=3))["reason"] == "no_licence_there"


async def test_a_counselor_reply_answers_the_waiting_client_messages(chat, client_a, counselor_a):
    conversation, session = chat
    client, _ = await _joined(client_a, conversation, session)
    counselor, _ = await _joined(counselor_a, conversation, session)
    for text in ("one", "two"):
        await _send(client, text)
        await client.receive_json_from(timeout=3)
    await _send(counselor, "I hear you")
    await _drain_acks(counselor, 1)
    rows = await database_sync_to_async(lambda: list(Message.objects.filter(sender=client_a).order_by("seq")))()
    assert all(row.answered_at is not None for row in rows)
    await client.disconnect()
    await counselor.disconnect()


async def test_a_resent_id_is_stored_once_and_acknowledged_again(chat, client_a):
    conversation, session = chat
    client, _ = await _joined(client_a, conversation, session)
    msg_id = await _send(client, "only once")
    first = await client.receive_json_from(timeout=3)
    await _send(client, "only once", msg_id)
    second = await client.receive_json_from(timeout=3)
    assert first["seq"] == second["seq"] == 1 and second["duplicate"] is True
    assert await database_sync_to_async(Message.objects.filter(conversation=conversation).count)() == 1
    await client.disconnect()


async def test_reconnect_with_last_seen_number_receives_exactly_the_missed_messages(chat, client_a, counselor_a):
    conversation, session = chat
    counselor, _ = await _joined(counselor_a, conversation, session)
    for n in range(1, 6):
        await _send(counselor, f"message {n}")
        await counselor.receive_json_from(timeout=3)
    client, hello = await _joined(client_a, conversation, session)
    assert hello["last_seq"] == 5
    await client.send_json_to({"type": "resync", "after_seq": 2})
    history = await client.receive_json_from(timeout=3)
    assert history["type"] == "history" and history["more"] is False and history["last_seq"] == 5
    assert [(m["seq"], m["body"]) for m in history["messages"]] == [
        (3, "message 3"),
        (4, "message 4"),
        (5, "message 5"),
    ]
    await client.disconnect()
    await counselor.disconnect()


async def test_read_receipts_reach_the_sender(chat, client_a, counselor_a):
    conversation, session = chat
    client, _ = await _joined(client_a, conversation, session)
    counselor, _ = await _joined(counselor_a, conversation, session)
    await _send(client, "did you read this?")
    await client.receive_json_from(timeout=3)
    await counselor.receive_json_from(timeout=3)
    await counselor.send_json_to({"type": "read", "up_to_seq": 1})
    receipt = await client.receive_json_from(timeout=3)
    assert receipt == {"type": "read", "reader": counselor_a.pk, "up_to_seq": 1}
    assert (await database_sync_to_async(Message.objects.get)(seq=1, conversation=conversation)).read_at
    await client.disconnect()
    await counselor.disconnect()


async def test_typing_reaches_the_other_party_only(chat, client_a, counselor_a):
    conversation, session = chat
    client, _ = await _joined(client_a, conversation, session)
    counselor, _ = await _joined(counselor_a, conversation, session)
    await client.send_json_to({"type": "typing"})
    assert await counselor.receive_json_from(timeout=3) == {"type": "typing", "sender": client_a.pk}
    assert await client.receive_nothing(timeout=0.2)
    await client.disconnect()
    await counselor.disconnect()


async def test_help_button_sends_the_escalation_signal(chat, client_a):
    from sessions.signals import client_help_requested

    conversation, session = chat
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    client_help_requested.connect(receiver)
    try:
        client, _ = await _joined(client_a, conversation, session)
        await client.send_json_to({"type": "help"})
        assert await client.receive_json_from(timeout=3) == {"type": "help_sent"}
        assert received == [{"signal": client_help_requested, "client_id": client_a.pk, "session_id": session.pk}]
        await client.disconnect()
    finally:
        client_help_requested.disconnect(receiver)


async def test_a_risk_phrase_over_the_socket_is_escalated_by_the_time_it_is_acknowledged(chat, client_a):
    from crisis.models import Escalation

    conversation, session = chat
    client, _ = await _joined(client_a, conversation, session)
    await _send(client, "Aku sudah tidak kuat, aku ingin mati")
    assert (await client.receive_json_from(timeout=3))["type"] == "ack"
    message = await database_sync_to_async(Message.objects.get)(conversation=conversation, seq=1)
    escalation = await database_sync_to_async(Escalation.objects.get)(message=message)
    assert escalation.kind == "risk_phrase" and escalation.session_id == session.pk
    await client.disconnect()


async def test_admin_reads_only_with_a_logged_break_glass_reason(chat, client_a, admin_user):
    from counseling.models import AuditEntry

    conversation, _session = chat
    refused = await chat_socket(application, admin_user, chat_path(conversation))
    assert (await refused.connect()) == (False, 4403)
    await database_sync_to_async(break_glass_open)(
        admin=admin_user, conversation=conversation, reason="Client reported in danger; counselor unreachable"
    )
    admin, hello = await _joined(admin_user, conversation)
    assert hello["read_only"] is True
    await _send(admin, "admins do not write")
    error = await admin.receive_json_from(timeout=3)
    assert error["code"] == "read_only"
    assert await database_sync_to_async(Message.objects.filter(conversation=conversation).count)() == 0
    actions = await database_sync_to_async(
        lambda: list(AuditEntry.objects.filter(target_id=str(conversation.pk)).values_list("action", "detail"))
    )()
    assert (
        "chat.break_glass",
        {"reason": "Client reported in danger; counselor unreachable", "seconds": 1800},
    ) in actions
    assert any(action == "chat.break_glass_read" for action, _ in actions)
    await admin.disconnect()


async def test_opening_a_chat_is_audit_logged(chat, counselor_a):
    from counseling.models import AuditEntry

    conversation, session = chat
    counselor, _ = await _joined(counselor_a, conversation, session)
    entry = await database_sync_to_async(AuditEntry.objects.filter(action="chat.open").last)()
    assert entry.actor_id == counselor_a.pk and entry.subject_id == conversation.client_id
    await counselor.disconnect()


async def test_concurrent_senders_get_distinct_gap_free_numbers(chat, client_a, counselor_a):
    import asyncio

    conversation, session = chat
    client, _ = await _joined(client_a, conversation, session)
    counselor, _ = await _joined(counselor_a, conversation, session)
    for n in range(10):
        await _send(client, f"c{n}")
        await _send(counselor, f"k{n}")
    frames = await asyncio.gather(*[_drain_acks(socket, 10) for socket in (client, counselor)])
    seqs = sorted(ack["seq"] for acks in frames for ack in acks)
    assert seqs == list(range(1, 21))
    assert (await database_sync_to_async(Conversation.objects.get)(pk=conversation.pk)).last_seq == 20
    await client.disconnect()
    await counselor.disconnect()


async def _drain_acks(socket, count):
    acks = []
    while len(acks) < count:
        frame = await socket.receive_json_from(timeout=5)
        if frame["type"] == "ack":
            acks.append(frame)
    return acks
