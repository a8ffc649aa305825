"""Messages stored by one statement from the socket's event loop (sessions.chat.services.message_post_on_loop).

The ordinary message must take that path (no worker thread), and every unusual one must still reach
message_post in a thread: a stale sequence number, a risk phrase, a resent id, a database error.
"""

import asyncio
import uuid

import psycopg2
import pytest
from channels.db import database_sync_to_async
from django.db import connection

from counseling import on_loop
from counseling.crypto import data_key_destroy, data_key_for, data_key_on_loop, key_cache, open_text
from crisis.models import Escalation
from crisis.risk import risk_phrase_list
from sessions.chat import services
from sessions.models import Conversation, Message
from tests.sessions.chat_helpers import chat_application, joined_socket

application = chat_application()

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.asyncio,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the on-loop store is PostgreSQL's; on SQLite every message goes through message_post",
    ),
]


async def _joined(user, conversation, session):
    return await joined_socket(application, user, conversation, session)


async def _both_with_key(chat, client_a, counselor_a):
    """Both sockets, after a first message that created the client's key (so what follows can stay on the loop)."""
    conversation, session = chat
    client = await _joined(client_a, conversation, session)
    counselor = await _joined(counselor_a, conversation, session)
    await _say(client, "kunci dibuat")
    await counselor.receive_json_from(timeout=3)
    return client, counselor


async def _say(socket, body, msg_id=None):
    msg_id = msg_id or str(uuid.uuid4())
    await socket.send_json_to({"type": "send", "client_msg_id": msg_id, "body": body})
    while True:
        frame = await socket.receive_json_from(timeout=5)
        if frame["type"] in ("ack", "error"):
            return frame


def _threaded_posts(monkeypatch) -> list:
    """Record every message that goes to message_post in a worker thread (and still store it)."""
    calls = []
    real = services.message_post

    def recording(**kwargs):
        calls.append(kwargs["body"])
        return real(**kwargs)

    monkeypatch.setattr(services, "message_post", recording)
    return calls


def _bodies(conversation) -> dict[int, str]:
    rows = Message.objects.filter(conversation_id=conversation.pk).order_by("seq")
    return {
        row.seq: open_text(owner_id=conversation.client_id, sealed=row.body_sealed, context=row.aad) for row in rows
    }


async def test_an_ordinary_message_is_stored_on_the_loop_and_delivered(chat, client_a, counselor_a, monkeypatch):
    conversation, session = chat
    threaded = _threaded_posts(monkeypatch)
    client = await _joined(client_a, conversation, session)
    counselor = await _joined(counselor_a, conversation, session)
    assert (await _say(client, "pertama"))["seq"] == 1  # the client's very first message creates their key
    assert threaded == ["pertama"]
    await counselor.receive_json_from(timeout=3)

    ack = await _say(client, "kedua, dari loop")
    assert ack["seq"] == 2 and ack["duplicate"] is False and ack["reply_due_at"]
    delivered = await counselor.receive_json_from(timeout=3)
    assert delivered["body"] == "kedua, dari loop" and delivered["seq"] == 2
    reply = await _say(counselor, "Saya mendengar Anda")
    assert reply["seq"] == 3 and reply["reply_due_at"] is None
    assert (await client.receive_json_from(timeout=3))["body"] == "Saya mendengar Anda"
    assert threaded == ["pertama"]  # the two later messages never went to a thread

    rows = await database_sync_to_async(
        lambda: list(Message.objects.filter(conversation=conversation).order_by("seq"))
    )()
    assert [(row.seq, row.sender_id, row.session_id) for row in rows] == [
        (1, client_a.pk, session.pk),
        (2, client_a.pk, session.pk),
        (3, counselor_a.pk, session.pk),
    ]
    assert rows[1].reply_due_at is not None and rows[2].reply_due_at is None
    # The counselor's reply marked both waiting client messages answered, in the same statement.
    assert rows[0].answered_at is not None and rows[1].answered_at == rows[2].created_at
    assert b"dari loop" not in bytes(rows[1].body_sealed)
    assert await database_sync_to_async(_bodies)(conversation) == {
        1: "pertama",
        2: "kedua, dari loop",
        3: "Saya mendengar Anda",
    }
    assert (await database_sync_to_async(Conversation.objects.get)(pk=conversation.pk)).last_seq == 3
    await client.disconnect()
    await counselor.disconnect()


async def test_a_stale_sequence_number_takes_the_next_one_and_seals_for_it(chat, client_a, counselor_a):
    """The socket's idea of the last number is behind (the other side's event has not arrived yet)."""
    conversation, session = chat
    for n in range(3):
        await database_sync_to_async(services.message_post)(
            conversation=conversation, sender=counselor_a, client_msg_id=uuid.uuid4(), body=f"k{n}", session=session
        )
    stale = await database_sync_to_async(
        Conversation.objects.select_related("client", "counselor", "counselor__counselor_profile").get
    )(pk=conversation.pk)
    stale.last_seq = 0
    await database_sync_to_async(risk_phrase_list)()  # held, as a socket's connect leaves it
    message, created = await services.message_post_on_loop(
        conversation=stale, sender=client_a, client_msg_id=uuid.uuid4(), body="setelah tiga", session=session
    )
    assert created and message.seq == 4 and stale.last_seq == 4
    # Its instance holds what it was stored with, without a query (none may run on the event loop).
    assert message.pk is not None and message.conversation is stale and message.sender is client_a
    assert message.session is session and message.aad == f"message:{conversation.pk}:{client_a.pk}:4"
    assert (await database_sync_to_async(_bodies)(conversation))[4] == "setelah tiga"


async def test_both_sides_writing_at_once_lose_nothing_and_every_body_opens(chat, client_a, counselor_a, monkeypatch):
    conversation, _session = chat
    client, counselor = await _both_with_key(chat, client_a, counselor_a)
    threaded = _threaded_posts(monkeypatch)
    sent = {}
    for n in range(15):
        for socket, who in ((client, "c"), (counselor, "k")):
            msg_id = str(uuid.uuid4())
            sent[msg_id] = f"{who}{n}"
            await socket.send_json_to({"type": "send", "client_msg_id": msg_id, "body": f"{who}{n}"})

    async def acks(socket):
        found = {}
        while len(found) < 15:
            frame = await socket.receive_json_from(timeout=5)
            if frame["type"] == "ack":
                found[frame["client_msg_id"]] = frame["seq"]
        return found

    both = await asyncio.gather(acks(client), acks(counselor))
    seq_of = {**both[0], **both[1]}
    assert sorted(seq_of.values()) == list(range(2, 32))
    bodies = await database_sync_to_async(_bodies)(conversation)
    assert {seq_of[msg_id]: body for msg_id, body in sent.items()} == {seq: bodies[seq] for seq in range(2, 32)}
    assert threaded == []  # stale numbers were retried on the loop, not handed to a thread
    await client.disconnect()
    await counselor.disconnect()


async def test_a_risk_phrase_goes_through_the_transaction_that_opens_the_escalation(chat, client_a, monkeypatch):
    conversation, session = chat
    client = await _joined(client_a, conversation, session)
    await _say(client, "halo")
    threaded = _threaded_posts(monkeypatch)
    ack = await _say(client, "saya ingin bunuh diri malam ini")
    assert ack["type"] == "ack" and threaded == ["saya ingin bunuh diri malam ini"]
    escalation = await database_sync_to_async(Escalation.objects.get)(client=client_a, kind="risk_phrase")
    assert escalation.message_id is not None
    await client.disconnect()


async def test_a_resent_id_is_answered_with_the_stored_message(chat, client_a):
    conversation, session = chat
    client = await _joined(client_a, conversation, session)
    await _say(client, "kunci dibuat")
    msg_id = str(uuid.uuid4())
    first = await _say(client, "sekali saja", msg_id)
    again = await _say(client, "sekali saja", msg_id)
    assert first["seq"] == again["seq"] == 2 and again["duplicate"] is True
    assert await database_sync_to_async(Message.objects.filter(conversation=conversation).count)() == 2
    await client.disconnect()


async def test_a_database_error_on_the_loop_falls_back_and_the_message_is_kept(
    chat, client_a, counselor_a, monkeypatch
):
    conversation, _session = chat
    client, counselor = await _both_with_key(chat, client_a, counselor_a)

    async def broken(self, sql, params, **options):
        raise psycopg2.OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(on_loop.PostgresOnLoop, "fetchone", broken)
    threaded = _threaded_posts(monkeypatch)
    ack = await _say(client, "tetap tersimpan")
    assert ack["type"] == "ack" and ack["seq"] == 2 and threaded == ["tetap tersimpan"]
    assert (await counselor.receive_json_from(timeout=3))["body"] == "tetap tersimpan"
    assert (await database_sync_to_async(_bodies)(conversation))[2] == "tetap tersimpan"
    await client.disconnect()
    await counselor.disconnect()


async def test_turned_off_every_message_goes_through_message_post(chat, client_a, settings, monkeypatch):
    settings.CHAT_STORE_ON_LOOP = False
    conversation, session = chat
    client = await _joined(client_a, conversation, session)
    threaded = _threaded_posts(monkeypatch)
    for body in ("satu", "dua"):
        assert (await _say(client, body))["type"] == "ack"
    assert threaded == ["satu", "dua"]
    await client.disconnect()


async def test_an_expired_key_is_renewed_on_the_loop_by_sender_and_receiver(chat, client_a, counselor_a, monkeypatch):
    """Keys stay in a process for at most 30 s; renewing one must not send the chat back to a thread."""
    import sessions.chat.selectors

    client, counselor = await _both_with_key(chat, client_a, counselor_a)
    threaded, read_back = _threaded_posts(monkeypatch), []
    real_frame_at = sessions.chat.selectors.message_frame_at
    monkeypatch.setattr(
        sessions.chat.selectors, "message_frame_at", lambda **kw: read_back.append(kw["seq"]) or real_frame_at(**kw)
    )
    for body in ("setelah kedaluwarsa", "dan sekali lagi"):
        key_cache.evict()  # as if the 30 s had passed
        assert (await _say(client, body))["type"] == "ack"
        assert (await counselor.receive_json_from(timeout=3))["body"] == body
    key_cache.evict()
    assert (await _say(counselor, "balasan"))["type"] == "ack"
    assert (await client.receive_json_from(timeout=3))["body"] == "balasan"
    assert threaded == [] and read_back == []
    await client.disconnect()
    await counselor.disconnect()


async def test_a_key_is_renewed_on_the_loop_only_while_its_row_is_usable(client_a):
    assert await data_key_on_loop(owner_id=client_a.pk) is None  # no key yet: the ORM way creates it
    created = await database_sync_to_async(data_key_for)(owner_id=client_a.pk)
    key_cache.evict()
    assert await data_key_on_loop(owner_id=client_a.pk) == created
    await database_sync_to_async(data_key_destroy)(owner_id=client_a.pk)
    key_cache.evict()
    assert await data_key_on_loop(owner_id=client_a.pk) is None


async def test_a_failing_risk_check_on_the_loop_never_refuses_the_message(chat, client_a, counselor_a, monkeypatch):
    client, counselor = await _both_with_key(chat, client_a, counselor_a)

    def broken(text, phrases=None):
        if phrases is not None:  # only the loop's check breaks; message_post's own runs as usual
            raise RuntimeError("phrase list corrupt")
        return None

    monkeypatch.setattr("crisis.receivers.risk_match", broken)  # the check the chat's hook runs on the loop
    threaded = _threaded_posts(monkeypatch)
    ack = await _say(client, "tolong dengarkan saya")
    assert ack["type"] == "ack" and threaded == ["tolong dengarkan saya"]
    assert (await counselor.receive_json_from(timeout=3))["body"] == "tolong dengarkan saya"
    await client.disconnect()
    await counselor.disconnect()


async def test_the_store_statements_are_prepared_once_per_connection_and_again_on_a_new_one(
    chat, client_a, counselor_a, monkeypatch
):
    conversation, _session = chat
    client, counselor = await _both_with_key(chat, client_a, counselor_a)
    threaded = _threaded_posts(monkeypatch)
    for n in range(3):
        assert (await _say(client, f"pesan {n}"))["type"] == "ack"
        await counselor.receive_json_from(timeout=3)
    assert (await _say(counselor, "balasan"))["type"] == "ack"
    await client.receive_json_from(timeout=3)
    pool = on_loop.postgres()
    prepared = "SELECT array_agg(name::text ORDER BY name), pg_backend_pid() FROM pg_prepared_statements"
    names, backend = await pool.fetchone(prepared, [])
    assert names == ["chat_store_message", "chat_store_reply"]  # one each, however many messages

    def end_backend():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [backend])

    await database_sync_to_async(end_backend)()  # as a PostgreSQL restart would
    assert (await _say(client, "setelah putus"))["type"] == "ack"  # the dead connection: kept through a thread
    assert (await _say(client, "koneksi baru"))["type"] == "ack"  # a new connection, prepared again
    assert threaded == ["setelah putus"]
    names, _backend = await pool.fetchone(prepared, [])
    assert names == ["chat_store_message"]
    assert list((await database_sync_to_async(_bodies)(conversation)).values()) == [
        "kunci dibuat",
        "pesan 0",
        "pesan 1",
        "pesan 2",
        "balasan",
        "setelah putus",
        "koneksi baru",
    ]
    await client.disconnect()
    await counselor.disconnect()


async def test_the_loops_connections_go_to_postgresql_itself_when_the_orm_goes_through_a_pooler(settings):
    """DATABASE_DIRECT_URL (docker-compose.yml's web processes, behind PgBouncer): the chat's own connections skip
    the pooler. Pointed at a port where nothing listens, the loop's connection is refused there."""
    settings.CHAT_DATABASE_DIRECT = {"host": "127.0.0.1", "port": 9}
    with pytest.raises(psycopg2.OperationalError, match="Connection refused"):
        await on_loop.postgres().fetchone("SELECT 1", [])
    on_loop.close_all()
    settings.CHAT_DATABASE_DIRECT = {}
    assert await on_loop.postgres().fetchone("SELECT 1", []) == (1,)
