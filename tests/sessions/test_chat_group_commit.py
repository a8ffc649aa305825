"""Group commit of the chat's messages (sessions.chat.committer): messages arriving together share one
transaction, and each is acknowledged and announced only after that commit; nothing is lost, a resent id is
stored once, a failing message never takes its batch down, and sequence numbers stay contiguous.
"""

import asyncio
import uuid

import psycopg2
import pytest
from channels.db import database_sync_to_async
from django.db import connection, connections

from counseling import on_loop
from counseling.crypto import data_key_for, open_text
from crisis.models import Escalation
from crisis.risk import risk_phrase_list
from sessions.chat import committer as committer_module
from sessions.chat import services
from sessions.models import Conversation, Message
from tests.conftest import make_client, make_counselor
from tests.sessions.chat_helpers import chat_application, joined_socket, open_session

application = chat_application()

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.asyncio,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="group commit is the on-loop store's, PostgreSQL's; on SQLite every message goes through message_post",
    ),
]


def _pairs(count: int) -> list:
    """`count` client/counselor pairs in an open session each, the client's key made and the risk phrases held
    (as a socket's connect leaves them): [(conversation with its people loaded, session)]."""
    found = []
    for n in range(count):
        client = make_client(f"grup{n}@clients.test", f"Klien {n}")
        counselor = make_counselor(f"grup{n}@staff.test", f"Konselor {n}")
        conversation, session = open_session(client, counselor)
        data_key_for(owner_id=client.pk)
        found.append(
            (
                Conversation.objects.select_related("client", "counselor", "counselor__counselor_profile").get(
                    pk=conversation.pk
                ),
                session,
            )
        )
    risk_phrase_list()
    return found


def _bodies(conversation) -> dict[int, str]:
    rows = Message.objects.filter(conversation_id=conversation.pk).order_by("seq")
    return {
        row.seq: open_text(owner_id=conversation.client_id, sealed=row.body_sealed, context=row.aad) for row in rows
    }


def _post(conversation, session, body, client_msg_id=None, sender=None):
    return services.message_post_on_loop(
        conversation=conversation,
        sender=sender or conversation.client,
        client_msg_id=client_msg_id or uuid.uuid4(),
        body=body,
        session=session,
    )


def _batches(monkeypatch) -> list[int]:
    """Record the size of every batch committed together (one transaction of several messages)."""
    sizes = []
    real = on_loop.PostgresOnLoop.fetchall_after_lock

    async def recording(self, lock_sql, lock_params, then):
        sizes.append(len(lock_params[0]))
        return await real(self, lock_sql, lock_params, then)

    monkeypatch.setattr(on_loop.PostgresOnLoop, "fetchall_after_lock", recording)
    return sizes


def _threaded_posts(monkeypatch) -> list:
    calls = []
    real = services.message_post

    def recording(**kwargs):
        calls.append(kwargs["body"])
        return real(**kwargs)

    monkeypatch.setattr(services, "message_post", recording)
    return calls


async def _say(socket, body):
    msg_id = str(uuid.uuid4())
    await socket.send_json_to({"type": "send", "client_msg_id": msg_id, "body": body})
    while True:
        frame = await socket.receive_json_from(timeout=5)
        if frame["type"] in ("ack", "error"):
            return frame


async def test_messages_arriving_together_share_one_commit_and_each_is_stored_once(monkeypatch):
    pairs = await database_sync_to_async(_pairs)(6)
    batches = _batches(monkeypatch)
    threaded = _threaded_posts(monkeypatch)
    results = await asyncio.gather(
        *(_post(conversation, session, f"pesan {n}") for n, (conversation, session) in enumerate(pairs))
    )
    assert batches == [6]  # one transaction for the six
    assert threaded == []
    for n, ((conversation, _session), (message, created)) in enumerate(zip(pairs, results, strict=True)):
        assert created and message.seq == 1 and message.pk is not None and conversation.last_seq == 1
        assert await database_sync_to_async(_bodies)(conversation) == {1: f"pesan {n}"}


async def test_no_ack_and_no_event_before_the_commit(chat, client_a, counselor_a):
    """A lock held on the conversation keeps the batch's transaction from committing: until it is released the
    sender gets no ack, the other side no message, and nothing is stored; then both come."""
    conversation, session = chat
    client = await joined_socket(application, client_a, conversation, session)
    counselor = await joined_socket(application, counselor_a, conversation, session)
    assert (await _say(client, "kunci dibuat"))["type"] == "ack"
    await counselor.receive_json_from(timeout=3)

    params = connections["default"].get_connection_params()
    params.pop("cursor_factory", None)
    holder = psycopg2.connect(**params)
    with holder.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {Conversation._meta.db_table} WHERE id = %s FOR UPDATE", [conversation.pk])
    try:
        msg_id = str(uuid.uuid4())
        await client.send_json_to({"type": "send", "client_msg_id": msg_id, "body": "menunggu commit"})
        assert await client.receive_nothing(timeout=0.6)
        assert await counselor.receive_nothing(timeout=0.1)
        with holder.cursor() as cursor:  # another connection: what is committed
            cursor.execute(
                f"SELECT count(*) FROM {Message._meta.db_table} WHERE conversation_id = %s", [conversation.pk]
            )
            assert cursor.fetchone()[0] == 1
    finally:
        holder.commit()
        holder.close()
    ack = await client.receive_json_from(timeout=3)
    assert ack["type"] == "ack" and ack["client_msg_id"] == msg_id and ack["seq"] == 2
    assert (await counselor.receive_json_from(timeout=3))["body"] == "menunggu commit"
    assert (await database_sync_to_async(_bodies)(conversation))[2] == "menunggu commit"
    await client.disconnect()
    await counselor.disconnect()


async def test_a_resent_id_in_a_batch_is_stored_once_and_the_others_are_kept(monkeypatch):
    pairs = await database_sync_to_async(_pairs)(3)
    (first, first_session), (second, second_session), (third, third_session) = pairs
    resent = uuid.uuid4()
    original, _ = await _post(second, second_session, "sekali saja", resent)
    batches = _batches(monkeypatch)
    results = await asyncio.gather(
        _post(first, first_session, "satu"),
        _post(second, second_session, "sekali saja", resent),
        _post(third, third_session, "tiga"),
    )
    assert batches == [3]  # tried together, refused whole by the unique constraint, then one by one
    (one, one_created), (again, again_created), (three, three_created) = results
    assert one_created and three_created and (one.seq, three.seq) == (1, 1)
    assert not again_created and again.seq == original.seq == 1 and again.pk == original.pk
    counts = await database_sync_to_async(lambda: [Message.objects.filter(conversation=c).count() for c, _s in pairs])()
    assert counts == [1, 1, 1]
    assert (await database_sync_to_async(_bodies)(first))[1] == "satu"
    assert (await database_sync_to_async(_bodies)(third))[1] == "tiga"


async def test_a_failing_batch_is_stored_one_by_one_and_nothing_is_lost(monkeypatch):
    pairs = await database_sync_to_async(_pairs)(4)

    async def broken(self, lock_sql, lock_params, then):
        raise psycopg2.OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(on_loop.PostgresOnLoop, "fetchall_after_lock", broken)
    threaded = _threaded_posts(monkeypatch)
    results = await asyncio.gather(*(_post(c, s, f"tetap {n}") for n, (c, s) in enumerate(pairs)))
    assert all(created and message.seq == 1 for message, created in results)
    assert threaded == []  # each by its own statement, still on the loop
    for n, (conversation, _session) in enumerate(pairs):
        assert await database_sync_to_async(_bodies)(conversation) == {1: f"tetap {n}"}


async def test_one_message_that_cannot_be_sealed_fails_alone(monkeypatch):
    pairs = await database_sync_to_async(_pairs)(3)
    real_seal = services.seal

    def seal(**kwargs):
        if kwargs["plaintext"] == "rusak":
            raise ValueError("no key")
        return real_seal(**kwargs)

    monkeypatch.setattr(services, "seal", seal)
    batches = _batches(monkeypatch)
    results = await asyncio.gather(
        *(_post(c, s, body) for (c, s), body in zip(pairs, ["baik", "rusak", "juga baik"], strict=True)),
        return_exceptions=True,
    )
    assert isinstance(results[1], ValueError)
    assert results[0][1] and results[2][1]
    assert batches == [2]
    bodies = [await database_sync_to_async(_bodies)(c) for c, _s in pairs]
    assert bodies == [{1: "baik"}, {}, {1: "juga baik"}]


async def test_many_messages_of_one_conversation_at_once_get_contiguous_numbers_in_order(monkeypatch):
    [(conversation, session)] = await database_sync_to_async(_pairs)(1)
    await database_sync_to_async(services.counselor_write_preload)(session=session)  # the code word matched
    batches = _batches(monkeypatch)
    threaded = _threaded_posts(monkeypatch)
    sent = [f"c{n}" if n % 3 else f"k{n}" for n in range(24)]
    results = await asyncio.gather(
        *(
            _post(conversation, session, body, sender=conversation.client if body[0] == "c" else conversation.counselor)
            for body in sent
        )
    )
    seqs = [message.seq for message, _created in results]
    assert seqs == list(range(1, 25))  # one per batch per conversation: the order they came in
    assert batches == [] and threaded == []  # never two of one conversation in a transaction
    assert await database_sync_to_async(_bodies)(conversation) == dict(enumerate(sent, start=1))
    assert (await database_sync_to_async(Conversation.objects.get)(pk=conversation.pk)).last_seq == 24


async def test_two_conversations_busy_at_once_share_commits_and_stay_contiguous(monkeypatch):
    pairs = await database_sync_to_async(_pairs)(2)
    batches = _batches(monkeypatch)
    calls = [(c, s, f"{i}-{n}") for n in range(10) for i, (c, s) in enumerate(pairs)]
    results = await asyncio.gather(*(_post(c, s, body) for c, s, body in calls))
    assert batches and set(batches) == {2}
    for i, (conversation, _session) in enumerate(pairs):
        mine = [message.seq for (c, _s, _b), (message, _) in zip(calls, results, strict=True) if c is conversation]
        assert sorted(mine) == list(range(1, 11))
        assert await database_sync_to_async(_bodies)(conversation) == {n + 1: f"{i}-{n}" for n in range(10)}


async def test_the_rate_limit_holds_for_messages_sent_at_once(settings):
    settings.CHAT_RATE_LIMIT = 5
    [(conversation, session)] = await database_sync_to_async(_pairs)(1)
    results = await asyncio.gather(*(_post(conversation, session, f"m{n}") for n in range(8)), return_exceptions=True)
    refused = [r for r in results if isinstance(r, services.ChatError)]
    assert len(refused) == 3 and {error.code for error in refused} == {"rate_limited"}
    assert len(await database_sync_to_async(_bodies)(conversation)) == 5


async def test_a_risk_phrase_beside_a_batch_opens_its_escalation_with_its_own_commit(monkeypatch):
    pairs = await database_sync_to_async(_pairs)(3)
    batches = _batches(monkeypatch)
    threaded = _threaded_posts(monkeypatch)
    bodies = ["halo", "saya ingin bunuh diri malam ini", "apa kabar"]
    results = await asyncio.gather(*(_post(c, s, body) for (c, s), body in zip(pairs, bodies, strict=True)))
    assert all(created for _message, created in results)
    assert batches == [2] and threaded == ["saya ingin bunuh diri malam ini"]
    escalation = await database_sync_to_async(Escalation.objects.get)(kind="risk_phrase")
    assert escalation.message_id == results[1][0].pk


async def test_turned_off_each_message_commits_on_its_own(settings, monkeypatch):
    settings.CHAT_GROUP_COMMIT = False
    pairs = await database_sync_to_async(_pairs)(3)
    batches = _batches(monkeypatch)
    results = await asyncio.gather(*(_post(c, s, "sendiri") for c, s in pairs))
    assert batches == [] and all(created for _message, created in results)


async def test_a_window_gathers_messages_that_arrive_within_it(settings, monkeypatch):
    settings.CHAT_GROUP_COMMIT_WINDOW_MS = 50
    pairs = await database_sync_to_async(_pairs)(3)
    batches = _batches(monkeypatch)

    async def later(conversation, session, body, delay):
        await asyncio.sleep(delay)
        return await _post(conversation, session, body)

    results = await asyncio.gather(*(later(c, s, "dalam jendela", n * 0.01) for n, (c, s) in enumerate(pairs)))
    assert batches == [3] and all(created for _message, created in results)
    assert committer_module.committer().batch_sizes[-1] == 3


async def test_a_failing_risk_check_beside_a_batch_keeps_the_message_and_queues_its_check(monkeypatch):
    from crisis import services as escalation
    from crisis import tasks

    pairs = await database_sync_to_async(_pairs)(3)
    queued = []
    monkeypatch.setattr(
        tasks.escalation_check_message, "apply_async", lambda args=(), kwargs=None, **options: queued.append(args)
    )

    def broken_open(**kwargs):
        raise RuntimeError("on-call table unreachable")

    monkeypatch.setattr(escalation, "escalation_open", broken_open)
    batches = _batches(monkeypatch)
    bodies = ["halo", "I want to end my life tonight", "apa kabar"]
    results = await asyncio.gather(*(_post(c, s, body) for (c, s), body in zip(pairs, bodies, strict=True)))
    assert all(created for _message, created in results) and batches == [2]
    assert queued == [(results[1][0].pk,)]  # after its commit, by id only
    assert not await database_sync_to_async(Escalation.objects.filter(kind="risk_phrase").exists)()
    assert (await database_sync_to_async(_bodies)(pairs[1][0]))[1] == "I want to end my life tonight"


async def test_a_number_taken_by_another_process_is_sealed_again_under_the_lock_without_a_retry(monkeypatch):
    pairs = await database_sync_to_async(_pairs)(2)
    (behind, behind_session), (other, other_session) = pairs
    for n in range(3):  # stored elsewhere: this process's idea of the last number stays 0
        await database_sync_to_async(services.message_post)(
            conversation=behind, sender=behind.counselor, client_msg_id=uuid.uuid4(), body=f"k{n}"
        )
    behind.last_seq = 0
    batches = _batches(monkeypatch)
    threaded = _threaded_posts(monkeypatch)
    (late, late_created), (fresh, fresh_created) = await asyncio.gather(
        _post(behind, behind_session, "setelah tiga"), _post(other, other_session, "pertama")
    )
    assert late_created and fresh_created and (late.seq, fresh.seq) == (4, 1)
    assert batches == [2] and threaded == []  # one transaction, no second try, no thread
    assert (await database_sync_to_async(_bodies)(behind))[4] == "setelah tiga"  # sealed for number 4
