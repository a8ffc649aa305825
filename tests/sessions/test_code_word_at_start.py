"""The code word at the start of every session (ACA H.3): the client is asked as they join the session's chat,
the counselor writes only once it matched or once they wrote down why they go on, the client always writes,
and a mismatch tells the counselor what to do and opens one identity escalation for the session."""

# ruff: noqa: F811  (pytest fixtures imported from test_escalation_support are used as arguments)

import uuid

import pytest
from channels.db import database_sync_to_async
from django.db import connection
from django.urls import reverse

from counseling.crypto import open_text
from counseling.models import AuditEntry
from crisis.models import Escalation, EscalationAlert, EscalationKind, Severity
from identity.models import CodeWordOverride
from identity.services import code_word_set
from sessions.chat import services
from sessions.chat.services import ChatError, message_post
from sessions.models import Message
from tests.counseling.test_escalation_support import eager_celery, pushed  # noqa: F401
from tests.sessions.chat_helpers import chat_application, chat_path, chat_socket, open_gates, open_session

application = chat_application()

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_celery")]

CODE_WORD = "kupu-kupu biru"


@pytest.fixture
def unchecked(client_a, counselor_a, monkeypatch):
    """An open session of client_a with counselor_a whose code word nobody answered yet: (conversation, session)."""
    open_gates(monkeypatch)
    code_word_set(client=client_a, code_word=CODE_WORD)
    return open_session(client_a, counselor_a, code_word_matched=False)


async def _joined(user, conversation, session=None):
    socket = await chat_socket(application, user, chat_path(conversation, session))
    assert (await socket.connect())[0]
    assert (await socket.receive_json_from(timeout=3))["type"] == "hello"
    return socket


async def _send(socket, body):
    msg_id = str(uuid.uuid4())
    await socket.send_json_to({"type": "send", "client_msg_id": msg_id, "body": body})
    return msg_id


async def _next(socket, kind):
    """The next frame of `kind`, skipping others (receipts, typing...)."""
    while (frame := await socket.receive_json_from(timeout=3))["type"] != kind:
        pass
    return frame


def _stored_bodies(conversation) -> int:
    return Message.objects.filter(conversation=conversation).count()


# --- Asked at the start, without waiting for the counselor ---------------------------------------------


@pytest.mark.asyncio
async def test_the_client_is_asked_for_the_code_word_on_joining_the_session_chat(unchecked, client_a, counselor_a):
    conversation, session = unchecked
    counselor = await _joined(counselor_a, conversation, session)
    client = await _joined(client_a, conversation, session)
    assert (await client.receive_json_from(timeout=3)) == {"type": "code_word_request"}
    assert (await counselor.receive_json_from(timeout=3)) == {"type": "code_word_requested"}
    await client.disconnect()
    await counselor.disconnect()


@pytest.mark.asyncio
async def test_a_client_whose_code_word_matched_in_this_session_is_not_asked_again(client_a, counselor_a, monkeypatch):
    open_gates(monkeypatch)
    conversation, session = await database_sync_to_async(open_session)(client_a, counselor_a)
    client = await _joined(client_a, conversation, session)
    assert await client.receive_nothing(timeout=0.3)
    await client.disconnect()


@pytest.mark.asyncio
async def test_the_client_is_not_asked_between_sessions(unchecked, client_a):
    conversation, _session = unchecked
    client = await _joined(client_a, conversation)
    assert await client.receive_nothing(timeout=0.3)
    await client.disconnect()


def test_the_counselors_panel_shows_that_the_client_is_asked_and_what_to_do(
    unchecked, client, counselor_a, staff_login
):
    _conversation, session = unchecked
    staff_login(client, counselor_a)
    page = client.get(f"/sessions/{session.pk}/chat/").content.decode()
    assert "Asked as the client joins; waiting for their answer" in page
    assert "Wait until it matches before you start." in page
    assert 'id="code-word-override-form"' in page and "Why you go on without a match" in page


# --- The counselor's first message -------------------------------------------------------------------


@pytest.mark.asyncio
async def test_the_counselors_first_message_is_refused_before_the_check_and_accepted_after_a_match(
    unchecked, client_a, counselor_a
):
    conversation, session = unchecked
    counselor = await _joined(counselor_a, conversation, session)
    client = await _joined(client_a, conversation, session)
    await _next(client, "code_word_request")
    msg_id = await _send(counselor, "Selamat datang. Bagaimana kabarmu?")
    refused = await _next(counselor, "error")
    assert refused["code"] == "code_word_pending" and refused["client_msg_id"] == msg_id
    assert refused["reason"] == "code_word_waiting"
    assert "Wait until it matches" in refused["message"] and "write down why" in refused["message"]
    assert refused["action_url"] == f"/sessions/{session.pk}/chat/#code-word"
    assert await database_sync_to_async(_stored_bodies)(conversation) == 0

    await client.send_json_to({"type": "code_word", "attempt": "Kupu-kupu  BIRU"})
    assert (await client.receive_json_from(timeout=3))["type"] == "code_word_sent"
    result = await _next(counselor, "code_word_result")
    assert result == {"type": "code_word_result", "session": session.pk, "match": True, "state": "matched"}
    await _send(counselor, "Selamat datang. Bagaimana kabarmu?")
    assert (await _next(counselor, "ack"))["seq"] == 1
    assert (await _next(client, "message"))["body"] == "Selamat datang. Bagaimana kabarmu?"
    await client.disconnect()
    await counselor.disconnect()


def test_the_service_itself_refuses_the_counselor_not_only_the_page(unchecked, client_a, counselor_a):
    conversation, session = unchecked
    with pytest.raises(ChatError) as refused:
        message_post(
            conversation=conversation, sender=counselor_a, client_msg_id=uuid.uuid4(), body="Halo", session=session
        )
    assert refused.value.code == "code_word_pending"
    assert not Message.objects.exists()


@pytest.mark.asyncio
async def test_the_counselor_goes_on_after_writing_down_why_and_the_step_is_audited(unchecked, client_a, counselor_a):
    conversation, session = unchecked
    counselor = await _joined(counselor_a, conversation, session)
    await counselor.send_json_to({"type": "code_word_override", "reason": "   "})
    empty = await _next(counselor, "error")
    assert empty["code"] == "reason_required" and "Write down why you go on" in empty["message"]
    await _send(counselor, "Halo")
    assert (await _next(counselor, "error"))["code"] == "code_word_pending"

    await counselor.send_json_to({"type": "code_word_override", "reason": "Suara yang saya kenal; klien sedang krisis"})
    assert (await _next(counselor, "code_word_overridden")) == {"type": "code_word_overridden", "session": session.pk}
    await _send(counselor, "Halo, saya di sini.")
    assert (await _next(counselor, "ack"))["seq"] == 1
    await counselor.disconnect()

    override = await database_sync_to_async(CodeWordOverride.objects.get)(session=session)
    assert override.overridden_by_id == counselor_a.pk and override.client_id == client_a.pk
    reason = open_text(owner_id=client_a.pk, sealed=override.reason_sealed, context=override.aad)
    assert reason == "Suara yang saya kenal; klien sedang krisis"
    assert b"krisis" not in bytes(override.reason_sealed)  # sealed, never in clear
    entry = await database_sync_to_async(AuditEntry.objects.get)(action="code_word.overridden")
    assert entry.actor_id == counselor_a.pk and entry.subject_id == client_a.pk
    assert entry.detail == {"session": session.pk} and "krisis" not in str(entry.detail)


def test_the_panel_shows_a_recorded_reason(unchecked, client, counselor_a, staff_login):
    from sessions.chat.services import code_word_override

    _conversation, session = unchecked
    code_word_override(session=session, counselor=counselor_a, reason="Suara yang saya kenal")
    staff_login(client, counselor_a)
    page = client.get(f"/sessions/{session.pk}/chat/").content.decode()
    assert "Going on without a match; your reason is recorded" in page
    assert "Suara yang saya kenal" not in page
    assert 'id="code-word-override-form" class="form" hidden' in page


def test_only_the_sessions_counselor_may_go_on_without_the_code_word(unchecked, counselor_b, client_a):
    from django.core.exceptions import PermissionDenied

    from sessions.chat.services import code_word_override

    _conversation, session = unchecked
    for someone in (counselor_b, client_a):
        with pytest.raises(PermissionDenied):
            code_word_override(session=session, counselor=someone, reason="a voice I know")
    assert not CodeWordOverride.objects.exists()


@pytest.mark.asyncio
async def test_the_client_can_always_write_whatever_the_code_word(unchecked, client_a, counselor_a, settings):
    settings.CODE_WORD_FAILURE_LIMIT = 1
    conversation, session = unchecked
    counselor = await _joined(counselor_a, conversation, session)
    client = await _joined(client_a, conversation, session)
    await _send(client, "Saya takut, tolong")  # before any answer
    assert (await _next(client, "ack"))["seq"] == 1
    await client.send_json_to({"type": "code_word", "attempt": "salah"})
    await _next(client, "code_word_sent")
    await client.send_json_to({"type": "code_word", "attempt": CODE_WORD})
    assert (await _next(client, "error"))["code"] == "code_word_locked"
    await _send(client, "Masih di sini")  # mismatched and locked: still heard
    assert (await _next(client, "ack"))["seq"] == 2
    assert (await _next(counselor, "message"))["body"] == "Saya takut, tolong"
    await client.disconnect()
    await counselor.disconnect()


@pytest.mark.asyncio
async def test_messages_between_sessions_are_not_affected(unchecked, counselor_a):
    conversation, _session = unchecked
    counselor = await _joined(counselor_a, conversation)
    await _send(counselor, "Sampai jumpa di sesi berikutnya.")
    assert (await _next(counselor, "ack"))["seq"] == 1
    await counselor.disconnect()


@pytest.mark.asyncio
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the event loop's store is PostgreSQL's")
async def test_once_it_matched_the_counselors_messages_are_stored_on_the_event_loop_again(
    unchecked, client_a, counselor_a, monkeypatch
):
    conversation, session = unchecked
    counselor = await _joined(counselor_a, conversation, session)
    client = await _joined(client_a, conversation, session)
    await _send(client, "kunci dibuat")  # the client's key now exists, and this process holds it
    await _next(counselor, "message")
    await client.send_json_to({"type": "code_word", "attempt": CODE_WORD})
    await _next(counselor, "code_word_result")
    threaded = []
    real = services.message_post

    def recording(**kwargs):
        threaded.append(kwargs["body"])
        return real(**kwargs)

    monkeypatch.setattr(services, "message_post", recording)
    for body in ("satu", "dua"):
        await _send(counselor, body)
        await _next(counselor, "ack")
    assert threaded == ["satu"]  # the first one checked the code word in a thread; then the socket knows
    fresh = await _joined(counselor_a, conversation, session)  # a socket opened after the match knows at once
    await _send(fresh, "tiga")
    await _next(fresh, "ack")
    assert threaded == ["satu"]
    for socket in (client, counselor, fresh):
        await socket.disconnect()


# --- A mismatch -----------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_mismatch_tells_the_counselor_what_to_do_and_opens_one_identity_escalation(
    unchecked, client_a, counselor_a, pushed
):
    conversation, session = unchecked
    counselor = await _joined(counselor_a, conversation, session)
    client = await _joined(client_a, conversation, session)
    for attempt in ("mawar merah", "melati"):
        await client.send_json_to({"type": "code_word", "attempt": attempt})
        assert (await _next(client, "code_word_sent")) == {"type": "code_word_sent"}  # the client learns no more
        result = await _next(counselor, "code_word_result")
        assert result["match"] is False and result["state"] == "mismatch"
    await _send(counselor, "Halo")
    refused = await _next(counselor, "error")
    assert refused["code"] == "code_word_pending" and refused["reason"] == "code_word_mismatch"
    assert refused["message"].startswith(
        "Do not discuss anything personal yet. Ask the client to try again, or confirm their identity another way; "
        "if in doubt, end the session."
    )
    await client.disconnect()
    await counselor.disconnect()

    escalations = await database_sync_to_async(list)(Escalation.objects.filter(kind=EscalationKind.IDENTITY_MISMATCH))
    assert len(escalations) == 1
    escalation = escalations[0]
    assert (escalation.session_id, escalation.counselor_id, escalation.client_id) == (
        session.pk,
        counselor_a.pk,
        client_a.pk,
    )
    assert escalation.severity == Severity.MEDIUM and escalation.dedupe_key == f"identity_mismatch:session:{session.pk}"
    alerted = await database_sync_to_async(list)(
        EscalationAlert.objects.filter(escalation=escalation).values_list("recipient_id", flat=True)
    )
    assert alerted == [counselor_a.pk]
    assert [p["type"] for user_id, p in pushed if user_id == client_a.pk] == []  # not shown to whoever typed it


def test_a_mismatch_on_the_code_word_page_opens_the_escalation_too(
    unchecked, client, client_a, counselor_a, staff_login
):
    _conversation, session = unchecked
    client.force_login(client_a)
    answer = reverse("sessions:code_word_answer", args=[session.pk])
    assert b"does not match" in client.post(answer, {"attempt": "salah"}).content
    client.post(answer, {"attempt": "salah lagi"})
    escalation = Escalation.objects.get(kind=EscalationKind.IDENTITY_MISMATCH, session=session)
    staff_login(client, counselor_a)
    page = client.get(f"/sessions/{session.pk}/chat/").content.decode()
    assert "Code word does NOT match" in page and "Do not discuss anything personal yet." in page
    alert = client.get(reverse("escalation:detail", args=[escalation.pk])).content.decode()
    assert "Code word did not match at a session" in alert and "someone else may be reading" in alert


def test_each_session_gets_its_own_identity_escalation(unchecked, client, client_a, counselor_a):
    _conversation, first = unchecked
    _conversation, second = open_session(client_a, counselor_a, code_word_matched=False)
    client.force_login(client_a)
    for session in (first, second, first):
        client.post(reverse("sessions:code_word_answer", args=[session.pk]), {"attempt": "salah"})
    assert sorted(
        Escalation.objects.filter(kind=EscalationKind.IDENTITY_MISMATCH).values_list("session_id", flat=True)
    ) == sorted([first.pk, second.pk])


# --- The lockout ------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_the_lockout_still_refuses_even_the_right_word_and_is_audited(unchecked, client_a, counselor_a, settings):
    settings.CODE_WORD_FAILURE_LIMIT = 2
    conversation, session = unchecked
    counselor = await _joined(counselor_a, conversation, session)
    client = await _joined(client_a, conversation, session)
    for attempt in ("satu", "dua"):
        await client.send_json_to({"type": "code_word", "attempt": attempt})
        await _next(client, "code_word_sent")
    assert (await _next(counselor, "code_word_result"))["state"] == "mismatch"
    assert (await _next(counselor, "code_word_result"))["state"] == "locked"
    await client.send_json_to({"type": "code_word", "attempt": CODE_WORD})
    locked = await _next(client, "error")
    assert locked["code"] == "code_word_locked" and locked["message"]  # in the client's language
    assert (await _next(counselor, "code_word_result"))["state"] == "locked"
    await _send(counselor, "Halo")
    refused = await _next(counselor, "error")
    assert refused["reason"] == "code_word_locked" and "Confirm the client's identity another way" in refused["message"]
    await client.disconnect()
    await counselor.disconnect()
    assert await database_sync_to_async(AuditEntry.objects.filter(action="code_word.locked").count)() == 1
