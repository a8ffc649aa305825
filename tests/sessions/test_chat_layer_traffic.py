"""What crosses the channel layer (Redis in production): ids and numbers, never a message's text."""

import asyncio
import json
import subprocess
import uuid

import pytest
from channels.layers import channel_layers

from tests.sessions.chat_helpers import (
    chat_application,
    chat_path,
    chat_socket,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

SECRET = "PLAINTEXT-CANARY-b41d: aku takut sendirian"


async def _chat_once(client_a, counselor_a, conversation, session):
    application = chat_application()
    client = await chat_socket(application, client_a, chat_path(conversation, session))
    counselor = await chat_socket(application, counselor_a, chat_path(conversation, session))
    assert (await client.connect())[0] and (await counselor.connect())[0]
    await client.receive_json_from(timeout=5)
    await counselor.receive_json_from(timeout=5)
    await client.send_json_to({"type": "typing"})
    await client.send_json_to({"type": "send", "client_msg_id": str(uuid.uuid4()), "body": SECRET})
    frames = [await counselor.receive_json_from(timeout=5) for _ in range(2)]
    assert any(frame.get("body") == SECRET for frame in frames)
    await counselor.send_json_to({"type": "read", "up_to_seq": 1})
    assert (await client.receive_json_from(timeout=5))["type"] == "ack"
    assert (await client.receive_json_from(timeout=5))["type"] == "read"
    await client.disconnect()
    await counselor.disconnect()


async def test_events_sent_to_the_channel_layer_carry_no_message_text(chat, client_a, counselor_a, monkeypatch):
    layer = channel_layers["default"]
    sent = []
    original = layer.group_send

    async def recording_group_send(group, message):
        sent.append(json.dumps(message, default=str))
        await original(group, message)

    monkeypatch.setattr(layer, "group_send", recording_group_send)
    conversation, session = chat
    await _chat_once(client_a, counselor_a, conversation, session)
    kinds = {json.loads(event)["type"] for event in sent}
    assert {"message.new", "message.read", "chat.typing"} <= kinds
    assert not any(SECRET in event or "sendirian" in event for event in sent)


async def test_redis_traffic_never_contains_the_plaintext(chat, client_a, counselor_a, redis_url, settings):
    """Watch every command Redis receives (MONITOR) while a message crosses the real Redis channel layer."""
    assert "channels_redis" in settings.CHANNEL_LAYERS["default"]["BACKEND"]
    channel_layers.backends.clear()
    host_port = redis_url.split("://", 1)[1].split("/", 1)[0]
    host, _, port = host_port.partition(":")
    monitor = subprocess.Popen(["redis-cli", "-h", host, "-p", port or "6379", "monitor"], stdout=subprocess.PIPE)
    try:
        await asyncio.sleep(0.3)
        conversation, session = chat
        await _chat_once(client_a, counselor_a, conversation, session)
        await asyncio.sleep(0.3)
    finally:
        monitor.terminate()
        traffic = monitor.communicate(timeout=10)[0]
        channel_layers.backends.clear()
    assert b"message.new" in traffic  # we did watch the layer's traffic
    assert SECRET.encode() not in traffic and b"sendirian" not in traffic
