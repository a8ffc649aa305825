"""Sockets under hostile frames and floods (issue 21, findings 4 and 5), through the production WebSocket stack
(counseling.routing.websocket_application): a bad frame gets an error frame and the socket keeps serving; an
unknown path is closed with 4404 without a traceback; help presses, resyncs and sockets per person are bounded.
"""

import asyncio
import logging

import pytest

from counseling.models import AuditEntry
from counseling.socket_limit import socket_slot_claim
from crisis.models import Escalation, EscalationEvent
from sessions.chat import consumers as chat_consumers
from sessions.chat import selectors as chat_selectors
from tests.counseling.test_escalation_support import eager_celery, make_session, pushed  # noqa: F401
from tests.sessions.chat_helpers import (
    chat_application,
    chat_socket,
    joined_socket,
    open_gates,
    open_session,
)

pytestmark = pytest.mark.django_db(transaction=True)

application = chat_application()
NESTED = "[" * 8000 + "]" * 8000


@pytest.fixture
def live_session(client_a, counselor_a, monkeypatch):
    open_gates(monkeypatch)
    return open_session(client_a, counselor_a)


async def _until(socket, kind: str, timeout: float = 10) -> list[dict]:
    """Frames up to and including the first of type `kind`."""
    frames = []
    while True:
        frame = await socket.receive_json_from(timeout=timeout)
        frames.append(frame)
        if frame["type"] == kind:
            return frames


async def _notification_socket(user):
    socket = await chat_socket(application, user, "/ws/notifications/")
    connected, _ = await socket.connect()
    assert connected
    return socket


# --- finding 4: bad frames ------------------------------------------------------------------------------------


def test_a_deeply_nested_chat_frame_gets_an_error_and_the_socket_keeps_serving(live_session, client_a):
    conversation, session = live_session
    assert len(NESTED) < chat_consumers.MAX_FRAME_CHARS

    async def scenario():
        socket = await joined_socket(application, client_a, conversation, session)
        await socket.send_to(text_data=NESTED)
        await socket.send_json_to({"type": "ping"})
        frames = await _until(socket, "pong")
        await socket.disconnect()
        return frames

    frames = asyncio.run(scenario())
    errors = [frame for frame in frames if frame["type"] == "error"]
    assert [error["code"] for error in errors] == ["malformed"]
    assert frames[-1] == {"type": "pong"}


@pytest.mark.parametrize(
    "frame",
    [b"\x00\x01binary", "not json", "[1, 2]", '"ping"', "null", NESTED, '{"type": "ping"' + " " * 5000 + "}"],
    ids=["binary", "text", "list", "string", "null", "nested", "too-large"],
)
def test_a_bad_notification_frame_gets_an_error_and_the_socket_keeps_serving(client_a, frame):
    async def scenario():
        socket = await _notification_socket(client_a)
        if isinstance(frame, bytes):
            await socket.send_to(bytes_data=frame)
        else:
            await socket.send_to(text_data=frame)
        await socket.send_json_to({"type": "ping"})
        frames = await _until(socket, "pong")
        await socket.disconnect()
        return frames

    frames = asyncio.run(scenario())
    assert frames[-1] == {"type": "pong"}
    assert len(frames) == 2 and frames[0]["type"] == "error", frames
    assert frames[0]["code"] in ("malformed", "too_large") and frames[0]["message"]


@pytest.mark.parametrize("path", ["/ws/nowhere/", "/ws/chat/x/", "/ws/chat/1/session/", "/", "/ws/notifications"])
def test_an_unknown_socket_path_is_closed_with_4404_and_logs_no_traceback(client_a, path, caplog):
    async def scenario():
        socket = await chat_socket(application, client_a, path)
        connected, _ = await socket.connect()
        assert connected
        closed = await socket.receive_output(timeout=5)
        await socket.wait()
        return closed

    with caplog.at_level(logging.WARNING):
        closed = asyncio.run(scenario())
    assert closed == {"type": "websocket.close", "code": 4404}
    assert not [record for record in caplog.records if record.exc_info or record.levelno >= logging.ERROR]


# --- finding 5: unbounded work ----------------------------------------------------------------------------------


@pytest.mark.usefixtures("eager_celery", "pushed")
def test_a_flood_of_help_frames_does_the_work_of_one_press(client_a, counselor_a, monkeypatch):
    open_gates(monkeypatch)
    make_session(client_a, counselor_a, country="ID", region="ID-JK")
    conversation, _ = open_session(client_a, counselor_a)

    async def scenario():
        socket = await joined_socket(application, client_a, conversation)
        for _ in range(30):
            await socket.send_json_to({"type": "help"})
        frames = [await socket.receive_json_from(timeout=10) for _ in range(30)]
        await socket.send_json_to({"type": "ping"})
        frames += await _until(socket, "pong")
        await socket.disconnect()
        return frames

    frames = asyncio.run(scenario())
    assert [frame["type"] for frame in frames].count("help_sent") == 30  # every press is answered
    assert AuditEntry.objects.filter(action="chat.help_requested").count() == 1
    escalation = Escalation.objects.get(client=client_a, kind="help_button")
    assert escalation.presses_again == 0  # one press reached the escalation, not thirty
    events = EscalationEvent.objects.filter(escalation=escalation).values_list("kind", flat=True)
    assert len(events) == len(set(events)), list(events)  # each kind of event once: opened, alerted...


def test_a_help_press_after_the_interval_is_a_new_press(live_session, client_a, monkeypatch):
    monkeypatch.setattr(chat_consumers, "HELP_EVERY_SECONDS", 0.2)
    conversation, _ = live_session

    async def scenario():
        socket = await joined_socket(application, client_a, conversation)
        await socket.send_json_to({"type": "help"})
        await _until(socket, "help_sent")
        await asyncio.sleep(0.3)
        await socket.send_json_to({"type": "help"})
        await _until(socket, "help_sent")
        await socket.disconnect()

    asyncio.run(scenario())
    assert AuditEntry.objects.filter(action="chat.help_requested").count() == 2


def test_resyncs_are_bounded_per_socket_and_the_socket_keeps_serving(live_session, client_a, monkeypatch):
    conversation, session = live_session
    reads = []
    original = chat_selectors.messages_after

    def counted(**kwargs):
        reads.append(kwargs["after_seq"])
        return original(**kwargs)

    monkeypatch.setattr(chat_selectors, "messages_after", counted)

    async def scenario():
        socket = await joined_socket(application, client_a, conversation, session)
        for _ in range(35):
            await socket.send_json_to({"type": "resync", "after_seq": 0})
        frames = [await socket.receive_json_from(timeout=10) for _ in range(35)]
        await socket.send_json_to({"type": "ping"})
        frames += await _until(socket, "pong")
        await socket.disconnect()
        return frames

    frames = asyncio.run(scenario())
    histories = [frame for frame in frames if frame["type"] == "history"]
    limited = [frame for frame in frames if frame["type"] == "error"]
    assert chat_consumers.RESYNC_BURST <= len(histories) <= chat_consumers.RESYNC_BURST + 2
    assert len(reads) == len(histories)
    assert limited and all(
        frame["code"] == "rate_limited" and frame["frame"] == "resync" and frame["retry_after"] > 0 for frame in limited
    )
    assert frames[-1] == {"type": "pong"}


def test_sockets_per_person_are_capped_and_a_closed_one_frees_its_place(live_session, client_a, client_b, settings):
    settings.WEBSOCKETS_PER_USER = 3
    conversation, session = live_session

    async def scenario():
        first = await _notification_socket(client_a)
        second = await _notification_socket(client_a)
        chat = await joined_socket(application, client_a, conversation, session)  # chat and notices count together
        refused = await chat_socket(application, client_a, "/ws/notifications/")
        assert (await refused.connect())[0]
        told = await refused.receive_json_from(timeout=5)
        closed = await refused.receive_output(timeout=5)
        other = await _notification_socket(client_b)  # someone else is not affected
        await first.disconnect()
        again = await _notification_socket(client_a)
        await again.send_json_to({"type": "ping"})
        pong = await again.receive_json_from(timeout=5)
        for socket in (second, chat, other, again):
            await socket.disconnect()
        return told, closed, pong

    told, closed, pong = asyncio.run(scenario())
    assert told["type"] == "error" and told["code"] == "too_many_sockets" and "too many pages" in told["message"]
    assert closed == {"type": "websocket.close", "code": 4429}
    assert pong == {"type": "pong"}


def test_slots_of_a_crashed_process_expire(client_a, settings, monkeypatch):
    """A process that died holding slots never releases them: they run out after SOCKET_SLOT_SECONDS."""
    settings.WEBSOCKETS_PER_USER = 2
    monkeypatch.setattr("counseling.socket_limit.SOCKET_SLOT_SECONDS", 1)

    async def scenario():
        for _ in range(2):
            assert await socket_slot_claim(user_id=client_a.pk, holder="crashed-process")
        refused = await chat_socket(application, client_a, "/ws/notifications/")
        await refused.connect()
        assert (await refused.receive_json_from(timeout=5))["code"] == "too_many_sockets"
        await asyncio.sleep(1.2)
        socket = await _notification_socket(client_a)
        await socket.send_json_to({"type": "ping"})
        pong = await socket.receive_json_from(timeout=5)
        await socket.disconnect()
        return pong

    assert asyncio.run(scenario()) == {"type": "pong"}


def test_the_chat_page_retries_a_rate_limited_resync():
    from pathlib import Path

    chat_js = (Path(__file__).parents[2] / "static/js/chat.js").read_text()
    assert 'f.frame === "resync"' in chat_js and "retry_after" in chat_js
