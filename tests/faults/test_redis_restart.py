"""Faults with real services: Redis crashes and comes back during a chat; a client's connection dies right
after it sent a frame.

Two real ASGI processes (Daphne for the client, Uvicorn for the counselor, the scale-out tests' servers) on a
Redis of our own (never the machine's shared one) and this run's database. The peers behave like chat.js:
unacknowledged messages stay in an outbox and are resent after reconnecting, then a resync from the last
sequence number seen fills any gap.

What was lost, asserted in each test: nothing. Every acknowledged message is in the database exactly once and
was seen by both sides; every message typed is, after the outbox drained, stored exactly once.
"""

import asyncio
import time

import pytest

from tests.faults.support import OwnRedis, Peer, _server_env, fault_server, needs_real_services, stored_ids
from tests.sessions.chat_helpers import login_cookie, open_session

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]


@pytest.fixture
def own_redis():
    needs_real_services()
    redis = OwnRedis().start()
    yield redis
    redis.stop()


@pytest.fixture
def servers(own_redis, transactional_db):
    env = dict(_server_env(own_redis.url), CHAT_RATE_LIMIT="1000")
    started = [fault_server("daphne", env).start(), fault_server("uvicorn", env).start()]
    yield started
    for server in started:
        server.stop()


@pytest.fixture
def chat(client_a, counselor_a):
    conversation, session = open_session(client_a, counselor_a)
    path = f"/ws/chat/{conversation.pk}/session/{session.pk}/"
    return (
        conversation,
        Peer("client", login_cookie(client_a), path),
        Peer("counselor", login_cookie(counselor_a), path),
    )


def _all_acked(peer):
    return not peer.outbox


def test_redis_restarted_mid_chat_loses_no_acknowledged_message(servers, own_redis, chat):
    """Redis is killed for about 2 s while both sides are sending. Lost: nothing. Every message acknowledged
    before, during or after the outage is stored once and, after reconnect and resync, seen by both sides;
    every message typed during the outage is stored once after the outbox is resent."""
    daphne, uvicorn = servers
    conversation, client, counselor = chat

    async def scenario():
        await client.connect(daphne)
        await counselor.connect(uvicorn)
        for i in range(3):
            client.new_message(f"sebelum {i}")
            counselor.new_message(f"before {i}")
        await client.send_outbox()
        await counselor.send_outbox()
        assert await client.pump(_all_acked) and await counselor.pump(_all_acked)
        acked_before = {**client.acked, **counselor.acked}

        own_redis.stop()  # crash: everything in Redis (groups, in-flight events) is gone
        for i in range(2):
            client.new_message(f"selama {i}")
            counselor.new_message(f"during {i}")
        for peer in (client, counselor):
            try:
                await peer.send_outbox()
                await peer.pump(_all_acked, timeout=2)
            except Exception:
                pass  # the socket may be closed under us: the outbox keeps the messages
        await asyncio.sleep(max(0, 2 - 0.1))
        own_redis.start()

        for peer, server in ((client, daphne), (counselor, uvicorn)):
            await peer.close()
            await peer.connect(server)  # chat.js reconnects with back-off; the hello arrives
            await peer.resync()
            await peer.send_outbox()
            assert await peer.pump(_all_acked), f"{peer.name}'s outbox never drained: {peer.errors}"
        # After the restart, live delivery through the fresh Redis works again.
        live = client.new_message("sesudah")
        await client.send_outbox()
        assert await counselor.pump(lambda p: live in p.seen.values(), timeout=15), "no live delivery after restart"
        assert await client.pump(_all_acked)
        for peer in (client, counselor):
            await peer.resync()
        await client.close()
        await counselor.close()
        return acked_before

    started = time.monotonic()
    acked_before = asyncio.run(scenario())
    assert time.monotonic() - started < 90

    stored = stored_ids(conversation)
    typed = {*client.acked, *counselor.acked}
    assert len(stored) == len(set(stored)), "a message was stored twice"
    assert set(stored) == typed, "stored messages differ from the acknowledged ones"
    assert set(acked_before) <= set(stored)
    assert len(typed) == 3 + 3 + 2 + 2 + 1  # lost: nothing
    for peer in (client, counselor):
        assert set(peer.seen.values()) == set(stored), f"{peer.name} did not see every stored message"
        assert sorted(peer.seen) == list(range(1, len(stored) + 1)), f"{peer.name} has a gap in seq"


def test_a_client_dropping_its_connection_right_after_sending_loses_nothing_and_stores_nothing_twice(servers, chat):
    """The client's TCP connection is aborted right after each send frame (no close handshake, no waiting
    for the ack), five times. It reconnects and resends its outbox. Lost: nothing; stored twice: nothing;
    the counselor sees every message once."""
    daphne, uvicorn = servers
    conversation, client, counselor = chat

    async def scenario():
        await counselor.connect(uvicorn)
        for i in range(5):
            await client.connect(daphne)
            msg_id = client.new_message(f"putus {i}")
            await client.ws.send(f'{{"type": "send", "client_msg_id": "{msg_id}", "body": "putus {i}"}}')
            client.ws.transport.abort()  # the socket dies mid-conversation, before any answer is read
            client.ws = None
        await asyncio.sleep(1)
        await client.connect(daphne)
        await client.resync(after=0)
        await client.send_outbox()  # chat.js resends everything not acknowledged; duplicates are answered once
        assert await client.pump(_all_acked), client.errors
        await counselor.resync(after=0)
        await client.close()
        await counselor.close()

    asyncio.run(scenario())
    stored = stored_ids(conversation)
    assert len(stored) == 5 and len(set(stored)) == 5  # lost: nothing; twice: nothing
    assert set(stored) == set(client.acked)
    assert sorted(counselor.seen) == [1, 2, 3, 4, 5]
