"""What consent version 4 promises about video and voice sessions (consent.promises "call.*"), proved against the
call socket as a browser uses it (sessions.calls.consumers.CallConsumer, docs/call-protocol.md):

- never recorded: nothing but the contract's signaling frames is accepted; binary frames (where media could
  travel) are refused; and after a whole call nothing of what was signaled is stored in any table;
- the relay cannot see or hear the media: the offer and answer (which carry each browser's DTLS fingerprint, the
  key to the media's encryption) reach the other browser exactly as sent, so no server in between can swap them;
- only the times are kept: a call leaves started, connected and ended events with the duration, nothing else.
"""

import uuid
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.apps import apps

from sessions.calls.consumers import CallConsumer
from sessions.models import CallEvent, SessionMedium
from sessions.services import BookingError, session_medium_change
from tests.consent.conftest import make_session
from tests.sessions.chat_helpers import chat_application, chat_socket, open_gates, open_session

application = chat_application()

pytestmark = pytest.mark.django_db(transaction=True)

# The client -> server frame types of the contract (docs/call-protocol.md): signaling only.
SIGNALING_TYPES = {"join", "offer", "answer", "ice", "state", "hangup"}


@pytest.fixture
def call(client_a, counselor_a, monkeypatch):
    open_gates(monkeypatch)
    _conversation, session = open_session(client_a, counselor_a)
    session.medium = SessionMedium.VIDEO
    session.save(update_fields=["medium"])
    return session


def _path(session) -> str:
    return f"/ws/sessions/{session.pk}/call/"


async def _joined(user, session):
    socket = await chat_socket(application, user, _path(session))
    connected, _ = await socket.connect()
    assert connected
    await socket.send_json_to({"type": "join"})
    while (frame := await socket.receive_json_from(timeout=3))["type"] != "ready":
        pass
    return socket, frame


async def _next(socket, kind: str) -> dict:
    """The next frame of this type (presence frames may come first)."""
    while (frame := await socket.receive_json_from(timeout=3))["type"] != kind:
        pass
    return frame


def _sdp(marker: str) -> str:
    return (
        "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
        "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n"
        f"a=ice-ufrag:{marker[:8]}\r\na=ice-pwd:{marker}\r\n"
        "a=fingerprint:sha-256 6B:8B:5D:EA:59:04:20:23:29:C8:87:1C:CA:87:C8:6B:F6:2C:6A:1C:8D:1C:3A:7B:7C:5E:DA:"
        "C4:12:B3:7C:0D\r\na=setup:actpass\r\na=sendrecv\r\na=rtpmap:111 opus/48000/2\r\n"
    )


def _stored_text() -> str:
    """Every value of every row of every model of the project, as text."""
    found = []
    for model in apps.get_models():
        for row in model._base_manager.values_list():
            found.append(repr(row))
    return "\n".join(found)


def test_a_call_event_has_no_field_for_content():
    assert {field.name for field in CallEvent._meta.get_fields()} == {
        "id",
        "session",
        "call_ref",
        "kind",
        "actor",
        "at",
        "duration_seconds",
    }


def test_the_call_socket_accepts_only_the_signaling_frames_of_the_contract():
    assert set(CallConsumer.FRAME_HANDLERS) == SIGNALING_TYPES


@pytest.mark.asyncio
async def test_a_binary_frame_or_a_frame_of_another_type_is_refused_with_an_error(call, client_a):
    socket, _ready = await _joined(client_a, call)
    await socket.send_to(bytes_data=b"\x00\x01 a chunk of audio")
    assert (await _next(socket, "error"))["code"]
    await socket.send_json_to({"type": "media", "data": "AAAA"})
    assert (await _next(socket, "error"))["code"]
    await socket.disconnect()


@pytest.mark.asyncio
async def test_after_a_whole_call_nothing_that_was_signaled_is_stored(call, client_a, counselor_a):
    marker = uuid.uuid4().hex
    client, _ = await _joined(client_a, call)
    counselor, ready = await _joined(counselor_a, call)
    assert ready["peer_present"] is True
    await counselor.send_json_to({"type": "offer", "sdp": _sdp(marker)})
    await _next(client, "offer")
    await client.send_json_to({"type": "answer", "sdp": _sdp(marker[::-1])})
    await _next(counselor, "answer")
    candidate = {"candidate": f"candidate:1 1 udp 2122260223 10.9.8.7 54321 typ host ufrag {marker[:8]}"}
    await counselor.send_json_to({"type": "ice", "candidate": {**candidate, "sdpMid": "0", "sdpMLineIndex": 0}})
    await _next(client, "ice")
    for socket in (client, counselor):
        await socket.send_json_to({"type": "state", "state": "connected"})
    await counselor.send_json_to({"type": "hangup"})
    await client.disconnect()
    await counselor.disconnect()
    stored = await database_sync_to_async(_stored_text)()
    for secret in (marker, marker[::-1], marker[:8], "10.9.8.7", "6B:8B:5D:EA"):
        assert secret not in stored, secret


@pytest.mark.asyncio
async def test_the_offer_and_answer_reach_the_other_browser_exactly_as_sent(call, client_a, counselor_a):
    client, _ = await _joined(client_a, call)
    counselor, _ = await _joined(counselor_a, call)
    offer, answer = _sdp(uuid.uuid4().hex), _sdp(uuid.uuid4().hex)
    await counselor.send_json_to({"type": "offer", "sdp": offer})
    assert (await _next(client, "offer"))["sdp"] == offer
    await client.send_json_to({"type": "answer", "sdp": answer})
    assert (await _next(counselor, "answer"))["sdp"] == answer
    await client.disconnect()
    await counselor.disconnect()


@pytest.mark.asyncio
async def test_a_call_leaves_only_its_times_and_duration(call, client_a, counselor_a):
    client, _ = await _joined(client_a, call)
    counselor, _ = await _joined(counselor_a, call)
    await counselor.send_json_to({"type": "offer", "sdp": _sdp(uuid.uuid4().hex)})
    await _next(client, "offer")
    for socket in (client, counselor):
        await socket.send_json_to({"type": "state", "state": "connected"})
    await counselor.send_json_to({"type": "hangup"})
    await client.disconnect()
    await counselor.disconnect()
    events = await database_sync_to_async(list)(
        CallEvent.objects.filter(session=call).values("kind", "duration_seconds")
    )
    kinds = [event["kind"] for event in events]
    assert "started" in kinds and "connected" in kinds and "ended" in kinds
    assert all(event["duration_seconds"] is not None for event in events if event["kind"] == "ended")


def test_the_way_a_session_is_held_can_be_changed_until_it_starts_and_not_after(client_a, counselor_a):
    session = make_session(client_a, counselor_a, starts_in=timedelta(days=2))
    assert session.medium == SessionMedium.CHAT  # the default of a booking that chose nothing
    assert session_medium_change(session=session, actor=client_a, medium=SessionMedium.VOICE).medium == "voice"
    assert session_medium_change(session=session, actor=counselor_a, medium=SessionMedium.VIDEO).medium == "video"
    with pytest.raises(BookingError) as refused:
        session_medium_change(
            session=session, actor=client_a, medium=SessionMedium.CHAT, at=session.starts_at + timedelta(minutes=1)
        )
    assert refused.value.code == "medium_after_start"
    session.refresh_from_db()
    assert session.medium == SessionMedium.VIDEO
