"""Hostile chat frames (hypothesis, bounded): random JSON, wrong types, oversized strings, lone surrogates,
HTML and script, SQL-looking text, binary frames and text that is not JSON, sent by the client and the
counselor of a live session through the production WebSocket stack.

For every batch: never a `server_error`, every error frame carries a known code and a readable message,
the socket stays open (a `ping` after the batch gets its `pong`), and the database holds exactly the
messages that were acknowledged, once each, with the body that was sent (nothing half-written).
"""

import asyncio
import json
import uuid
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sessions.models import Message
from tests.security.hostile import BOUNDED, SPECIALS
from tests.sessions.chat_helpers import chat_application, chat_path, chat_socket, open_gates, open_session

pytestmark = pytest.mark.django_db(transaction=True)

application = chat_application()

KNOWN_ERRORS = {
    "malformed",
    "unsupported",
    "too_large",
    "empty",
    "rate_limited",
    "read_only",
    "conflict",
    "code_word_locked",
    "unavailable",
    "code_word_pending",
    "reason_required",
}
TYPES = [
    "send",
    "resync",
    "read",
    "typing",
    "help",
    "code_word_request",
    "code_word",
    "code_word_override",
    "ping",
    "hello",
    "ack",
    "message",
    "",
    "SEND",
    "send\u0000",
    "<script>",
]

json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.sampled_from(SPECIALS[:-1]),
)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12,
)


def _frame_text(obj) -> str:
    return json.dumps(obj, ensure_ascii=True)  # "\\ud800" escapes reach the server as lone surrogates


frames = st.one_of(
    # well-typed sends with hostile bodies
    st.builds(
        lambda body, known: {"type": "send", "client_msg_id": str(uuid.UUID(int=known)), "body": body},
        st.one_of(st.sampled_from(SPECIALS), st.text(max_size=200), st.just("x" * 4001), st.just("y" * 4000)),
        st.integers(min_value=1, max_value=2**64),
    ).map(_frame_text),
    # known types with wrong types in every field
    st.builds(
        lambda kind, fields: {"type": kind, **fields},
        st.sampled_from(TYPES),
        st.dictionaries(
            st.sampled_from(["client_msg_id", "body", "after_seq", "up_to_seq", "attempt", "reason"]),
            json_value,
            max_size=4,
        ),
    ).map(_frame_text),
    # any JSON at all, not JSON, an oversized frame
    json_value.map(_frame_text),
    st.text(min_size=1, max_size=60),
    st.just(json.dumps({"type": "send", "client_msg_id": str(uuid.uuid4()), "body": "z" * 20_000})),
    st.binary(min_size=1, max_size=64),
)


@pytest.fixture
def live_session(client_a, counselor_a, monkeypatch):
    open_gates(monkeypatch)
    return open_session(client_a, counselor_a)


async def _joined(user, path):
    socket = await chat_socket(application, user, path)
    connected, _ = await socket.connect()
    assert connected
    assert (await socket.receive_json_from(timeout=10))["type"] == "hello"
    return socket


async def _batch(user, path, batch):
    """Send the batch, then a ping; return every frame the server answered before the pong."""
    socket = await _joined(user, path)
    sent_bodies = {}
    for item in batch:
        if isinstance(item, bytes):
            await socket.send_to(bytes_data=item)
            continue
        try:
            parsed = json.loads(item)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict) and parsed.get("type") == "ping":
            continue  # our own ping below marks the end of the batch
        await socket.send_to(text_data=item)
        if (
            isinstance(parsed, dict)
            and parsed.get("type") == "send"
            and isinstance(parsed.get("body"), str)
            and isinstance(parsed.get("client_msg_id"), str)
        ):  # only a string id can be acknowledged
            sent_bodies[parsed["client_msg_id"]] = parsed["body"]
    await socket.send_json_to({"type": "ping"})
    replies = []
    while True:
        frame = await socket.receive_json_from(timeout=20)
        if frame["type"] == "pong":
            break
        replies.append(frame)
    await socket.disconnect()
    return replies, sent_bodies


@BOUNDED
@given(batch=st.lists(frames, min_size=1, max_size=15), as_counselor=st.booleans())
def test_hostile_frames_get_clear_errors_and_store_only_what_was_acknowledged(
    live_session, client_a, counselor_a, settings, batch, as_counselor
):
    settings.CHAT_RATE_LIMIT = 10_000
    conversation, session = live_session
    path = chat_path(conversation, session)
    before = set(Message.objects.filter(conversation=conversation).values_list("client_msg_id", flat=True))
    replies, sent_bodies = asyncio.run(_batch(counselor_a if as_counselor else client_a, path, batch))

    for frame in replies:
        if frame["type"] == "error":
            assert frame["code"] in KNOWN_ERRORS, frame
            assert isinstance(frame.get("message"), str) and frame["message"], frame
    acked = {frame["client_msg_id"] for frame in replies if frame["type"] == "ack"}
    all_ids = [
        str(i) for i in Message.objects.filter(conversation=conversation).values_list("client_msg_id", flat=True)
    ]
    assert len(all_ids) == len(set(all_ids)), "a message was stored twice"
    new = set(all_ids) - {str(i) for i in before}
    assert acked <= set(all_ids), "a message was acknowledged but is not in the database"
    assert new <= acked, "a message was stored without an acknowledgement"
    assert new <= set(sent_bodies), "a message was stored that was never sent as a well-formed send"


def test_a_send_with_a_lone_surrogate_is_refused_cleanly_and_nothing_is_stored(live_session, client_a):
    """A JSON escape of half a UTF-16 pair ("\\ud800") is valid JSON text on the wire but not storable text:
    it must be refused with a clear error (or stored with the surrogate replaced), never a server_error."""
    conversation, session = live_session
    frame = '{"type": "send", "client_msg_id": "' + str(uuid.uuid4()) + '", "body": "hi \\ud800 there"}'
    replies, _ = asyncio.run(_batch(client_a, chat_path(conversation, session), [frame]))
    assert [r["type"] for r in replies] in (["error"], ["ack"])
    if replies[0]["type"] == "error":
        assert replies[0]["code"] in KNOWN_ERRORS, replies[0]
        assert not Message.objects.filter(conversation=conversation).exists()


def test_html_in_a_message_arrives_as_the_same_text_for_the_page_to_insert_as_text(live_session, client_a, counselor_a):
    conversation, session = live_session
    path = chat_path(conversation, session)

    async def scenario():
        counselor = await _joined(counselor_a, path)
        client = await _joined(client_a, path)
        await client.send_json_to({"type": "send", "client_msg_id": str(uuid.uuid4()), "body": SPECIALS[0]})
        while (frame := await counselor.receive_json_from(timeout=10))["type"] != "message":
            pass
        await client.disconnect()
        await counselor.disconnect()
        return frame

    frame = asyncio.run(scenario())
    assert frame["body"] == "<script>alert(1)</script>"  # data, not markup: chat.js inserts it with textContent
    chat_js = (Path(__file__).parents[2] / "static/js/chat.js").read_text()
    assert "innerHTML" not in chat_js
