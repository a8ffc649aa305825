"""The call socket: who may join, the chat's gates and the code word, the relay between the two participants only,
frames refused with an error frame, and the call events recorded and audited (never any content)."""

import asyncio
import json

import pytest
from channels.db import database_sync_to_async
from django.db import transaction

from counseling.gates import GateResult
from counseling.models import AuditEntry
from sessions.chat.events import chat_close_on_commit
from sessions.models import CallEvent, ClientPresence, CounselingSession
from tests.conftest import make_client
from tests.sessions.chat_helpers import chat_application, chat_socket, open_gates, open_session

application = chat_application()

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

OFFER_SDP = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"


@pytest.fixture
def call(client_a, counselor_a, monkeypatch):
    """An open video session of client_a with counselor_a whose code word matched, the gates open."""
    open_gates(monkeypatch)
    conversation, session = open_session(client_a, counselor_a)
    CounselingSession.objects.filter(pk=session.pk).update(medium="video")
    session.medium = "video"
    return conversation, session


def _path(session) -> str:
    return f"/ws/sessions/{session.pk}/call/"


async def _socket(user, session):
    return await chat_socket(application, user, _path(session))


async def _joined(user, session):
    socket = await _socket(user, session)
    connected, _ = await socket.connect()
    assert connected
    await socket.send_json_to({"type": "join"})
    ready = await socket.receive_json_from(timeout=3)
    assert ready["type"] == "ready", ready
    return socket, ready


async def _refused(user, session) -> tuple[bool, dict | None]:
    """(accepted at all, the first frame if any) of a socket that must not join the call."""
    socket = await _socket(user, session)
    connected, _code = await socket.connect()
    frame = None
    if connected:
        frame = await socket.receive_json_from(timeout=3)
        assert (await socket.receive_output(timeout=3))["type"] == "websocket.close"
    return connected, frame


async def _events(session):
    return await database_sync_to_async(lambda: list(CallEvent.objects.filter(session=session).order_by("at", "id")))()


async def test_the_two_participants_join_and_offers_answers_and_candidates_reach_the_other_only(
    call, client_a, counselor_a
):
    _conversation, session = call
    client, ready = await _joined(client_a, session)
    assert ready == {"type": "ready", "role": "client", "polite": False, "ice_servers": [], "peer_present": False}
    counselor, ready = await _joined(counselor_a, session)
    assert ready["role"] == "counselor" and ready["polite"] is True and ready["peer_present"] is True
    assert await client.receive_json_from(timeout=3) == {"type": "peer", "state": "joined"}
    assert await counselor.receive_nothing(timeout=0.2)  # told by `ready`, not again by a "peer" frame

    await client.send_json_to({"type": "offer", "sdp": OFFER_SDP})
    assert await counselor.receive_json_from(timeout=3) == {"type": "offer", "sdp": OFFER_SDP}
    await counselor.send_json_to({"type": "answer", "sdp": OFFER_SDP})
    assert await client.receive_json_from(timeout=3) == {"type": "answer", "sdp": OFFER_SDP}
    candidate = {
        "candidate": "candidate:1 1 udp 2122260223 192.0.2.2 5000 typ host",
        "sdpMid": "0",
        "sdpMLineIndex": 0,
        "usernameFragment": "abcd",
        "extra": "dropped",
    }
    await client.send_json_to({"type": "ice", "candidate": candidate})
    relayed = await counselor.receive_json_from(timeout=3)
    assert relayed == {"type": "ice", "candidate": {k: v for k, v in candidate.items() if k != "extra"}}
    await client.send_json_to({"type": "ice", "candidate": None})
    assert await counselor.receive_json_from(timeout=3) == {"type": "ice", "candidate": None}
    assert await client.receive_nothing(timeout=0.3)  # nothing of one's own comes back

    await client.send_json_to({"type": "hangup"})
    assert (await client.receive_json_from(timeout=3))["type"] == "closed"
    assert await counselor.receive_json_from(timeout=3) == {"type": "peer", "state": "left"}
    await counselor.disconnect()


async def test_outsiders_cannot_open_the_call_socket(call, client_b, counselor_b, admin_user):
    _conversation, session = call
    for user in (client_b, counselor_b, admin_user):
        accepted, _frame = await _refused(user, session)
        assert not accepted, user


async def test_a_participant_of_another_session_cannot_join_this_call(call, counselor_a):
    _conversation, session = call

    def other_pair():
        other = make_client("c@clients.test", "Client C")
        return other, open_session(other, counselor_a)[1]

    other, _their_session = await database_sync_to_async(other_pair)()
    accepted, _frame = await _refused(other, session)
    assert not accepted


async def test_the_anonymous_cannot_open_the_call_socket(call):
    _conversation, session = call
    socket = await chat_socket(application, None, _path(session))
    connected, _code = await socket.connect()
    assert not connected


@pytest.mark.parametrize(
    "gate", ["consent_gate", "identity_gate", "jurisdiction_gate"], ids=["consent", "identity", "jurisdiction"]
)
async def test_a_closed_gate_of_the_chat_refuses_the_call_to_both_participants(
    call, client_a, counselor_a, monkeypatch, gate
):
    _conversation, session = call
    monkeypatch.setattr(f"sessions.selectors.{gate}", lambda **kw: GateResult.refuse("closed_here", "Not now."))
    for user in (client_a, counselor_a):
        accepted, frame = await _refused(user, session)
        assert accepted and frame["type"] == "error" and frame["code"] == "gate_refused"
        assert frame["reason"] == "closed_here"
    assert await _events(session) == []


async def test_an_unconfirmed_location_refuses_the_call(call, client_a):
    _conversation, session = call
    await database_sync_to_async(CounselingSession.objects.filter(pk=session.pk).update)(location_confirmed_at=None)
    _accepted, frame = await _refused(client_a, session)
    assert frame["reason"] == "location_unconfirmed"


async def test_the_call_waits_for_the_code_word_at_the_start(client_a, counselor_a, monkeypatch):
    open_gates(monkeypatch)

    def unconfirmed():
        _conversation, session = open_session(client_a, counselor_a, code_word_matched=False)
        CounselingSession.objects.filter(pk=session.pk).update(medium="voice")
        return session

    session = await database_sync_to_async(unconfirmed)()
    for user in (client_a, counselor_a):
        _accepted, frame = await _refused(user, session)
        assert frame["reason"] == "code_word_unconfirmed"
        assert frame["action_url"].startswith(f"/sessions/{session.pk}/chat/")


async def test_a_chat_session_has_no_call(call, client_a):
    _conversation, session = call
    await database_sync_to_async(CounselingSession.objects.filter(pk=session.pk).update)(medium="chat")
    _accepted, frame = await _refused(client_a, session)
    assert frame["reason"] == "not_a_call"


async def test_a_gate_that_closes_mid_call_closes_both_sockets_with_a_closed_frame(
    call, client_a, counselor_a, monkeypatch
):
    conversation, session = call
    client, _ = await _joined(client_a, session)
    counselor, _ = await _joined(counselor_a, session)
    await client.receive_json_from(timeout=3)  # the counselor joined
    monkeypatch.setattr(
        "sessions.selectors.consent_gate", lambda **kw: GateResult.refuse("consent_withdrawn", "Consent withdrawn.")
    )

    def withdraw():
        with transaction.atomic():
            chat_close_on_commit(conversation_id=conversation.pk, reason="consent_withdrawn")

    await database_sync_to_async(withdraw)()
    for socket in (client, counselor):
        frames = []
        while True:
            output = await socket.receive_output(timeout=3)
            if output["type"] == "websocket.close":
                break
            frames.append(json.loads(output["text"]))
        closed = [frame for frame in frames if frame["type"] == "closed"]
        assert closed and closed[0]["reason"] == "consent_withdrawn" and closed[0]["message"]
    kinds = [event.kind for event in await _events(session)]
    assert kinds == ["started", "ended"]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("x" * (64 * 1024 + 1), "too_large"),
        ('{"type": "offer", "sdp": "' + "a" * (70 * 1024) + '"}', "too_large"),
        ("{not json", "malformed"),
        ("[" * 8000, "malformed"),
        ('["offer"]', "malformed"),
        ('{"type": 7}', "malformed"),
        ('{"type": "record"}', "unsupported"),
        ('{"type": "offer", "sdp": 12}', "malformed"),
        ('{"type": "offer"}', "malformed"),
        ('{"type": "answer", "sdp": ""}', "malformed"),
        ('{"type": "ice"}', "malformed"),
        ('{"type": "ice", "candidate": "candidate:1"}', "malformed"),
        ('{"type": "ice", "candidate": {"candidate": "c", "sdpMLineIndex": "0"}}', "malformed"),
        ('{"type": "ice", "candidate": {"candidate": "c", "sdpMLineIndex": true}}', "malformed"),
        ('{"type": "state", "state": "exploded"}', "malformed"),
        ('{"type": "state", "state": ["connected"]}', "malformed"),
    ],
    ids=lambda value: value[:24] if isinstance(value, str) else value,
)
async def test_a_malformed_or_oversized_frame_gets_an_error_frame_and_the_call_goes_on(
    call, client_a, counselor_a, text, code
):
    _conversation, session = call
    client, _ = await _joined(client_a, session)
    counselor, _ = await _joined(counselor_a, session)
    await client.receive_json_from(timeout=3)  # the counselor joined
    await client.send_to(text_data=text)
    error = await client.receive_json_from(timeout=3)
    assert error["type"] == "error" and error["code"] == code and error["message"]
    assert await counselor.receive_nothing(timeout=0.2)  # nothing was relayed
    await client.send_json_to({"type": "offer", "sdp": OFFER_SDP})  # the socket still works
    assert (await counselor.receive_json_from(timeout=3))["type"] == "offer"
    await client.disconnect()
    await counselor.disconnect()


async def test_binary_frames_and_frames_before_join_get_error_frames(call, client_a):
    _conversation, session = call
    socket = await _socket(client_a, session)
    assert (await socket.connect())[0]
    await socket.send_json_to({"type": "offer", "sdp": OFFER_SDP})
    assert (await socket.receive_json_from(timeout=3))["code"] == "not_joined"
    await socket.send_to(bytes_data=b"\x00\x01")
    assert (await socket.receive_json_from(timeout=3))["code"] == "malformed"
    await socket.disconnect()


async def test_call_events_are_recorded_once_each_and_audited_without_content(call, client_a, counselor_a):
    _conversation, session = call
    client, _ = await _joined(client_a, session)
    counselor, _ = await _joined(counselor_a, session)
    await client.receive_json_from(timeout=3)
    for socket in (client, counselor):  # both browsers report: one "connected" for the call
        await socket.send_json_to({"type": "state", "state": "connected"})
    await client.send_json_to({"type": "offer", "sdp": OFFER_SDP})
    await counselor.receive_json_from(timeout=3)
    await client.send_json_to({"type": "state", "state": "disconnected"})  # passing: not stored
    await client.send_json_to({"type": "state", "state": "failed"})
    await counselor.send_json_to({"type": "state", "state": "failed"})  # the same failure, seen from both sides
    await client.send_json_to({"type": "hangup"})
    assert (await client.receive_json_from(timeout=3))["type"] == "closed"
    await counselor.receive_json_from(timeout=3)  # peer left
    await counselor.disconnect()  # the call already ended: no second "ended"

    events = await _events(session)
    assert [event.kind for event in events] == ["started", "connected", "failed", "ended"]
    assert len({event.call_ref for event in events}) == 1
    assert events[0].actor_id == client_a.pk and events[-1].actor_id == client_a.pk
    assert events[-1].duration_seconds is not None and events[-1].duration_seconds >= 0

    def audited():
        return list(AuditEntry.objects.filter(action__startswith="call.").order_by("sequence"))

    entries = await database_sync_to_async(audited)()
    assert [entry.action for entry in entries] == ["call.started", "call.connected", "call.failed", "call.ended"]
    assert all(entry.subject_id == client_a.pk for entry in entries)
    assert entries[-1].detail["duration_seconds"] == events[-1].duration_seconds
    assert all(OFFER_SDP not in json.dumps(entry.detail) and "sdp" not in entry.detail for entry in entries)

    session_state = await database_sync_to_async(lambda: CounselingSession.objects.get(pk=session.pk).state)()
    assert session_state == "in_progress"  # a connected call puts the open session under way

    again, _ = await _joined(client_a, session)  # joining again starts a new call
    events = await _events(session)
    assert events[-1].kind == "started" and events[-1].call_ref != events[0].call_ref
    await again.disconnect()
    assert (await _events(session))[-1].kind == "ended"


async def test_the_clients_call_counts_as_their_presence_in_the_session(call, client_a, counselor_a):
    _conversation, session = call
    client, _ = await _joined(client_a, session)
    counselor, _ = await _joined(counselor_a, session)

    def presences():
        return list(ClientPresence.objects.filter(session=session).values_list("left_at", flat=True))

    assert await database_sync_to_async(presences)() == [None]  # the client's only; the counselor is not tracked
    await client.disconnect()
    left = await database_sync_to_async(presences)()
    assert len(left) == 1 and left[0] is not None
    await counselor.disconnect()


async def test_the_clients_copy_of_their_data_lists_their_call_events_and_nothing_more(call, client_a, counselor_a):
    from sessions.receivers import client_export

    _conversation, session = call
    client, _ = await _joined(client_a, session)
    counselor, _ = await _joined(counselor_a, session)
    await client.send_json_to({"type": "state", "state": "connected"})
    await client.send_json_to({"type": "offer", "sdp": OFFER_SDP})
    await counselor.receive_json_from(timeout=3)
    await counselor.disconnect()
    await client.disconnect()
    calls = (await database_sync_to_async(client_export)(client_a))["calls"]
    assert [row["kind"] for row in calls] == ["started", "connected", "ended"]
    assert calls[0]["by_you"] is True and calls[-1]["by_you"] is False
    assert calls[-1]["session_id"] == session.pk and calls[-1]["duration_seconds"] >= 0
    assert OFFER_SDP not in json.dumps(calls)


async def test_a_long_call_keeps_the_clients_presence_alive_and_the_talkers_signed_in(
    call, client_a, counselor_a, monkeypatch
):
    import sessions.calls.consumers as consumers

    monkeypatch.setattr(consumers, "PRESENCE_BEAT_SECONDS", 0.2)
    seen, recorded = [], []
    monkeypatch.setattr(consumers.drops, "client_socket_seen", lambda **kw: seen.append(kw["channel_name"]))
    monkeypatch.setattr(consumers, "socket_activity_record", lambda **kw: recorded.append(kw["session_key"]))
    _conversation, session = call
    client, _ = await _joined(client_a, session)
    await asyncio.sleep(0.5)
    assert seen and not recorded  # present, but waiting alone is no activity
    await client.send_json_to({"type": "state", "state": "connected"})
    await asyncio.sleep(0.5)
    assert recorded  # talking counts as activity: the pages keep the person signed in
    await client.disconnect()


async def test_two_people_joining_at_once_each_learn_of_the_other_once(call, client_a, counselor_a):
    _conversation, session = call
    client = await _socket(client_a, session)
    counselor = await _socket(counselor_a, session)
    assert (await client.connect())[0] and (await counselor.connect())[0]
    await client.send_json_to({"type": "join"})
    await counselor.send_json_to({"type": "join"})
    told = {}
    for name, socket in (("client", client), ("counselor", counselor)):
        frames = [await socket.receive_json_from(timeout=3)]
        while not await socket.receive_nothing(timeout=0.3):
            frames.append(await socket.receive_json_from(timeout=3))
        ready = next(frame for frame in frames if frame["type"] == "ready")
        told[name] = int(ready["peer_present"]) + sum(frame == {"type": "peer", "state": "joined"} for frame in frames)
    assert told == {"client": 1, "counselor": 1}
    await client.disconnect()
    await counselor.disconnect()
