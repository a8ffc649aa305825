"""Oversized, malformed and flood input: clear error frames, nothing stored, nobody else disturbed."""

import logging
import types
import uuid

import pytest
from channels.db import database_sync_to_async
from django.core.cache import cache

from counseling import on_loop
from sessions.chat import services
from sessions.models import Message
from tests.sessions.chat_helpers import (
    chat_application,
    joined_socket,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

application = chat_application()


async def _joined(user, conversation, session):
    return await joined_socket(application, user, conversation, session)


async def _stored(conversation):
    return await database_sync_to_async(Message.objects.filter(conversation=conversation).count)()


async def _still_works(client, counselor, text="still here"):
    await client.send_json_to({"type": "send", "client_msg_id": str(uuid.uuid4()), "body": text})
    assert (await client.receive_json_from(timeout=3))["type"] == "ack"
    frame = await counselor.receive_json_from(timeout=3)
    assert frame["body"] == text


async def test_an_oversized_message_gets_a_clear_error_and_is_not_stored(chat, client_a, counselor_a):
    conversation, session = chat
    client = await _joined(client_a, conversation, session)
    counselor = await _joined(counselor_a, conversation, session)
    msg_id = str(uuid.uuid4())
    await client.send_json_to({"type": "send", "client_msg_id": msg_id, "body": "x" * 4001})
    error = await client.receive_json_from(timeout=3)
    assert error["type"] == "error" and error["code"] == "too_large" and error["client_msg_id"] == msg_id
    assert "4000" in error["message"]
    await client.send_to(text_data="y" * 20000)
    assert (await client.receive_json_from(timeout=3))["code"] == "too_large"
    assert await _stored(conversation) == 0
    assert await counselor.receive_nothing(timeout=0.2)
    await _still_works(client, counselor)
    await client.disconnect()
    await counselor.disconnect()


@pytest.mark.parametrize(
    "raw, code",
    [
        ("not json at all", "malformed"),
        ("[1, 2, 3]", "malformed"),
        ('{"no": "type"}', "malformed"),
        ('{"type": "explode"}', "unsupported"),
        ('{"type": "send", "client_msg_id": "not-a-uuid", "body": "hi"}', "malformed"),
        ('{"type": "send", "client_msg_id": "6a1f5b8e-0d44-4a0e-9c59-1f0c1d3f8b11", "body": "   "}', "empty"),
        ('{"type": "send", "client_msg_id": "6a1f5b8e-0d44-4a0e-9c59-1f0c1d3f8b11", "body": 42}', "empty"),
        ('{"type": "resync", "after_seq": "zero"}', "malformed"),
        ('{"type": "read", "up_to_seq": -1}', "malformed"),
    ],
)
async def test_a_malformed_frame_gets_an_error_frame_and_the_socket_stays_open(chat, client_a, counselor_a, raw, code):
    conversation, session = chat
    client = await _joined(client_a, conversation, session)
    counselor = await _joined(counselor_a, conversation, session)
    await client.send_to(text_data=raw)
    error = await client.receive_json_from(timeout=3)
    assert error["type"] == "error" and error["code"] == code and error["message"]
    assert await _stored(conversation) == 0
    await _still_works(client, counselor)
    await client.disconnect()
    await counselor.disconnect()


async def test_binary_frames_are_refused_with_an_error(chat, client_a, counselor_a):
    conversation, session = chat
    client = await _joined(client_a, conversation, session)
    await client.send_to(bytes_data=b"\x00\x01")
    assert (await client.receive_json_from(timeout=3))["code"] == "malformed"
    await client.disconnect()


async def test_a_flood_is_rate_limited_per_user_across_their_sockets(chat, client_a, counselor_a, settings):
    settings.CHAT_RATE_LIMIT = 5
    settings.CHAT_RATE_WINDOW_SECONDS = 60
    conversation, session = chat
    first, second = await _joined(client_a, conversation, session), await _joined(client_a, conversation, session)
    counselor = await _joined(counselor_a, conversation, session)
    for n in range(3):
        await first.send_json_to({"type": "send", "client_msg_id": str(uuid.uuid4()), "body": f"a{n}"})
        assert (await first.receive_json_from(timeout=3))["type"] == "ack"
    replies = []
    for n in range(4):  # the same person on another socket shares the budget: 2 more pass, then refused
        await second.send_json_to({"type": "send", "client_msg_id": str(uuid.uuid4()), "body": f"b{n}"})
        frame = await second.receive_json_from(timeout=3)
        while frame["type"] == "message":
            frame = await second.receive_json_from(timeout=3)
        replies.append(frame)
    assert [frame["type"] for frame in replies] == ["ack", "ack", "error", "error"]
    assert replies[-1]["code"] == "rate_limited" and replies[-1]["client_msg_id"]
    assert await _stored(conversation) == 5
    # The counselor is not limited by the client's flood.
    await counselor.send_json_to({"type": "send", "client_msg_id": str(uuid.uuid4()), "body": "calm"})
    frame = await counselor.receive_json_from(timeout=3)
    while frame["type"] == "message":
        frame = await counselor.receive_json_from(timeout=3)
    assert frame["type"] == "ack"
    for socket in (first, second, counselor):
        await socket.disconnect()


async def _send(socket, body):
    """Send one message and return the sender's answer to it (ack or error), past other frames."""
    await socket.send_json_to({"type": "send", "client_msg_id": str(uuid.uuid4()), "body": body})
    frame = await socket.receive_json_from(timeout=3)
    while frame["type"] not in ("ack", "error"):
        frame = await socket.receive_json_from(timeout=3)
    return frame


@pytest.fixture
def fixed_clock(monkeypatch):
    """The rate limit's clock held in one window, so no test straddles two."""
    monkeypatch.setattr(services, "time", types.SimpleNamespace(time=lambda: 1_800_000_000.0))
    return 1_800_000_000


async def test_another_process_count_is_seen_after_the_next_message(chat, client_a, counselor_a, settings, fixed_clock):
    """The decision needs no round trip: it uses the count as the cache last reported it. So a person who
    already used their budget through another server process gets one more message through here (its
    count brings this process up to date), and no more."""
    settings.CHAT_RATE_LIMIT = 5
    settings.CHAT_RATE_WINDOW_SECONDS = 60
    conversation, session = chat
    await database_sync_to_async(cache.set)(f"chat-rate:{client_a.pk}:{fixed_clock // 60}", 5, 120)
    client = await _joined(client_a, conversation, session)
    assert (await _send(client, "one more"))["type"] == "ack"
    refused = await _send(client, "and another")
    assert refused["type"] == "error" and refused["code"] == "rate_limited"
    assert await database_sync_to_async(cache.get)(f"chat-rate:{client_a.pk}:{fixed_clock // 60}") == 6
    assert await _stored(conversation) == 1
    await client.disconnect()


async def test_a_message_is_acknowledged_when_counting_it_fails(
    chat, client_a, counselor_a, settings, monkeypatch, caplog
):
    """The count comes after the store: a cache that fails then must not turn a stored message into an error."""

    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(on_loop, "redis_client", broken)
    monkeypatch.setattr(services, "_count_in_window", broken)
    conversation, session = chat
    client = await _joined(client_a, conversation, session)
    counselor = await _joined(counselor_a, conversation, session)
    with caplog.at_level(logging.WARNING, logger="sessions.services"):
        await _still_works(client, counselor, "stored though not counted")
    assert await _stored(conversation) == 1
    assert "rate limit failed" in caplog.text
    await client.disconnect()
    await counselor.disconnect()


async def test_the_rate_book_forgets_people_of_past_windows(settings, monkeypatch):
    """One entry per person per process: a long-running server must not keep everyone it ever served."""
    settings.CHAT_RATE_LIMIT = 5
    settings.CHAT_RATE_WINDOW_SECONDS = 10
    monkeypatch.setattr(services, "_chat_rate_seen", {})
    monkeypatch.setattr(services, "_chat_rate_window", [0])
    clock = types.SimpleNamespace(time=lambda: 1_000.0)
    monkeypatch.setattr(services, "time", clock)
    for user_id in range(1, 6):
        services.chat_rate_reserve_on_loop(user_id=user_id)
    with pytest.raises(services.ChatError) as refused:  # user 5: 5 let through, none counted yet
        for _ in range(5):
            services.chat_rate_reserve_on_loop(user_id=5)
    assert refused.value.code == "rate_limited"
    assert set(services._chat_rate_seen) == {1, 2, 3, 4, 5}
    clock.time = lambda: 1_010.0  # the next window
    assert services.chat_rate_reserve_on_loop(user_id=5) == 101
    assert services._chat_rate_seen == {5: [101, 0, 1]}


async def test_a_burst_of_junk_frames_is_throttled_without_closing_anyones_socket(chat, client_a, counselor_a):
    conversation, session = chat
    client = await _joined(client_a, conversation, session)
    counselor = await _joined(counselor_a, conversation, session)
    for _ in range(60):
        await client.send_to(text_data="junk")
    codes = [(await client.receive_json_from(timeout=3))["code"] for _ in range(60)]
    assert set(codes) <= {"malformed", "rate_limited"} and "rate_limited" in codes
    assert await counselor.receive_nothing(timeout=0.2)
    await counselor.send_json_to({"type": "ping"})
    assert (await counselor.receive_json_from(timeout=3)) == {"type": "pong"}
    await client.disconnect()
    await counselor.disconnect()
