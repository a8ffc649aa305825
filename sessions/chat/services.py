"""Writes of the chat: storing messages (sealed, committed before anyone is told), receipts, exports,
break-glass, the help button and the code-word answer inside a chat, and the per-person rate limit."""

import asyncio
import functools
import logging
import time
import uuid
from datetime import datetime, timedelta

import psycopg2
from channels.db import database_sync_to_async
from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import PermissionDenied, SynchronousOnlyOperation, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from counseling import on_loop
from counseling.audit import audit_record
from counseling.clock import now
from counseling.crypto import data_key_on_loop, seal
from counseling.notifications import group_send_from_loop, notify_user_from_loop, notify_user_on_commit
from identity.selectors import code_word_status
from identity.services import CodeWordLocked, code_word_check, code_word_override_record
from sessions.chat.committer import committer
from sessions.chat.events import (
    client_message_notice,
    conversation_event_on_commit,
    conversation_group,
    cover_notice,
    message_new_event,
)
from sessions.chat.hooks import client_message_watchers
from sessions.chat.selectors import BREAK_GLASS_CACHE_KEY, message_instance, transcript_text
from sessions.models import (
    Conversation,
    ConversationCover,
    CounselingSession,
    Message,
)
from sessions.selectors import code_word_gate, reply_due_at_for
from sessions.signals import client_help_requested, code_word_mismatched

log = logging.getLogger(__name__)


# --- Chat: storing messages, receipts, exports, break-glass -----------------------------------------
# The database is the mailbox, Redis only the doorbell (docs/chat-protocol.md): a message is
# committed, sealed under the client's data key, before anyone is told; events carry ids and the
# sealed body (ciphertext), never plaintext.

CHAT_MESSAGE_MAX_CHARS = 4000
BREAK_GLASS_SECONDS = 30 * 60


class ChatError(Exception):
    """A refused chat write, with a stable code for the error frame (and, from a gate, its reason and the
    link to its fix)."""

    def __init__(self, code: str, message: str = "", *, reason: str = "", action_url: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.message = message
        self.reason = reason
        self.action_url = action_url


# Set on a socket's CounselingSession once its code word is confirmed (sessions.selectors.code_word_gate),
# which then stays so: the socket's later messages skip the check, and may be stored on its event loop.
_CODE_WORD_CONFIRMED = "_chat_code_word_confirmed"


def _counselor_may_write(*, session: CounselingSession) -> None:
    """Refuse a counselor's message in a session until the client's code word matched or the counselor wrote
    down why they go on ("code_word_pending", with the gate's advice and link). ACA H.3."""
    if getattr(session, _CODE_WORD_CONFIRMED, False):
        return
    gate = code_word_gate(session=session)
    if not gate:
        raise ChatError("code_word_pending", gate.message, reason=gate.reason, action_url=gate.action_url)
    setattr(session, _CODE_WORD_CONFIRMED, True)


def counselor_write_preload(*, session: CounselingSession) -> None:
    """For the counselor's socket at connect (in a worker thread): remember on its session whether the code
    word is already confirmed, so even the socket's first message may be stored on its event loop."""
    if code_word_gate(session=session):
        setattr(session, _CODE_WORD_CONFIRMED, True)


def conversation_get_or_create(*, client, counselor) -> Conversation:
    """The one conversation of a client and a counselor (created on first need)."""
    conversation, _created = Conversation.objects.get_or_create(client=client, counselor=counselor)
    return conversation


# What this process knows of each person's count in the current window, for chat_rate_reserve_on_loop:
# user id -> [window number, the count as the cache last reported it here, messages let through and not
# counted there yet]. One entry per person who sent in this process; older windows are dropped as they pass.
_chat_rate_seen: dict[int, list[int]] = {}
_chat_rate_window = [0]  # the newest window this process has seen


def chat_rate_reserve_on_loop(*, user_id: int) -> int:
    """Let one chat message of `user_id` through, or refuse it ("rate_limited"), without a round trip.

    The decision uses the count the shared cache last reported to this process for the person's current
    window plus this process's messages not yet counted there; chat_rate_count_on_loop counts the message
    afterwards, once it is stored, and brings the count up to date. Waiting for the cache before every
    message cost a round trip on the path of every message (bench/chat_bench.py: about 0.3 ms of a 2.8 ms
    send-to-delivery p50). For one socket, or several in one process, the limit is exact; a person writing
    on sockets in two server processes at once can get a few more through before each process has seen the
    other's count. Returns the window number to count the message in."""
    window_seconds = settings.CHAT_RATE_WINDOW_SECONDS
    window = int(time.time() // window_seconds)
    if window > _chat_rate_window[0]:
        _chat_rate_window[0] = window
        for stale in [user for user, (number, _, _) in _chat_rate_seen.items() if number < window]:
            del _chat_rate_seen[stale]
    seen = _chat_rate_seen.get(user_id)
    if seen is None or seen[0] != window:
        seen = _chat_rate_seen[user_id] = [window, 0, 0]
    if seen[1] + seen[2] + 1 > settings.CHAT_RATE_LIMIT:
        raise ChatError("rate_limited", _("You are sending messages too fast; wait a few seconds."))
    seen[2] += 1
    return window


async def chat_rate_count_on_loop(*, user_id: int, window: int) -> None:
    """Count a message chat_rate_reserve_on_loop let through in the shared cache (every process's count)."""
    window_seconds = settings.CHAT_RATE_WINDOW_SECONDS
    key = f"chat-rate:{user_id}:{window}"
    try:
        backend = caches["default"]
        if isinstance(backend, RedisCache):
            cache_key = backend.make_and_validate_key(key)
            pipe = on_loop.redis_client(settings.CACHES["default"]["LOCATION"]).pipeline(transaction=False)
            count, _ = await pipe.incr(cache_key).expire(cache_key, window_seconds * 2).execute()
        else:
            count = await database_sync_to_async(_count_in_window, thread_sensitive=False)(
                key=key, ttl=window_seconds * 2
            )
    except Exception:  # the message is already stored (or refused): never fail it over its count
        log.warning("Counting a chat message of user %s for the rate limit failed", user_id, exc_info=True)
        count = None
    seen = _chat_rate_seen.get(user_id)
    if seen is not None and seen[0] == window:
        seen[2] -= 1
        if count is not None:
            seen[1] = max(seen[1], count)


def _count_in_window(*, key: str, ttl: int) -> int:
    """Add one to a counter in a cache other than Redis (the embedded default) that lives `ttl` seconds,
    and return it."""
    cache.add(key, 0, timeout=ttl)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=ttl)
        return 1


def _next_seq(conversation_id: int) -> int:
    """Allocate the next sequence number. Must run inside the message's transaction.

    One statement that increments and returns: it takes the Conversation row lock (PostgreSQL) or the
    database write lock (SQLite, BEGIN IMMEDIATE) until commit, so concurrent senders in any process
    get distinct numbers, and a rolled-back message gives its number back (no gaps).
    """
    table = connection.ops.quote_name(Conversation._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last_seq = last_seq + 1 WHERE id = %s RETURNING last_seq",  # noqa: S608
            [conversation_id],
        )
        return cursor.fetchone()[0]


def _message_columns() -> list:
    return [field for field in Message._meta.concrete_fields if not field.primary_key and not field.generated]


def _message_values(message: Message) -> list:
    """The row of `message` as save() would store it: every value through its field's own preparation."""
    return [field.get_db_prep_save(getattr(message, field.attname), connection) for field in _message_columns()]


@functools.cache
def _message_column_attnames() -> tuple[str, ...]:
    return tuple(field.attname for field in _message_columns())


def _new_message_values(
    *,
    conversation_id: int,
    session_id: int | None,
    seq: int,
    sender_id: int,
    client_msg_id: uuid.UUID,
    body_sealed: bytes,
    created_at: datetime,
    reply_due_at: datetime | None,
) -> list:
    """_message_values of a new message with these, on PostgreSQL only (the only database the event loop stores
    on), without building a Message and sending each value through its field: there each field's
    preparation gives these values back as they are (ids and numbers as ints, the UUID as a UUID, aware
    datetimes as they are) but the body, which becomes the driver's Binary. Both cost more than the seal
    itself on the chat's path (bench/chat_path_profile.py); tests/sessions/test_chat_message_row.py checks
    the rows are the same."""
    given = {
        "conversation_id": conversation_id,
        "session_id": session_id,
        "seq": seq,
        "sender_id": sender_id,
        "client_msg_id": client_msg_id,
        "body_sealed": connection.Database.Binary(body_sealed),
        "created_at": created_at,
        "reply_due_at": reply_due_at,
    }
    return [given.get(name) for name in _message_column_attnames()]


def _message_insert(message: Message) -> None:
    """INSERT one new message and set its id: the ORM's save minus its machinery (signals, the query
    compiler), which cost more than the statement itself on the chat's hottest path (bench/chat_bench.py).
    Message has no save() override and no signal receivers; keep it so, or go back to save()."""
    quote = connection.ops.quote_name
    columns = _message_columns()
    sql = (
        f"INSERT INTO {quote(Message._meta.db_table)} ({', '.join(quote(f.column) for f in columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))}) RETURNING {quote(Message._meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, _message_values(message))
        message.pk = cursor.fetchone()[0]
    message._state.adding = False
    message._state.db = connection.alias


# The client's messages before a given number still waiting for a reply. Only a client's message has a
# reply_due_at, so the predicate names no sender: it is exactly the partial index message_awaiting_reply.
# Naming the sender as well let PostgreSQL, once it had real statistics (ANALYZE), combine the sender and
# conversation indexes instead: 24 ms instead of 0.03 ms per counselor message in the benchmark's database.
# Naming the two columns (answered_at IS NULL AND reply_due_at IS NOT NULL) instead of awaiting_reply had it
# combine message_seq_unique (the conversation's whole history) with message_reply_due: see Message.
_AWAITING_REPLY_BEFORE = "conversation_id = %s AND seq < %s AND awaiting_reply"


def _client_messages_answer(*, conversation: Conversation, before_seq: int, at: datetime) -> None:
    """Mark the client's messages before `before_seq` still waiting for a reply as answered at `at`.

    Plain SQL because it runs for every counselor message and the ORM's query building was most of its
    cost (bench/chat_bench.py)."""
    table = connection.ops.quote_name(Message._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET answered_at = %s WHERE {_AWAITING_REPLY_BEFORE}",  # noqa: S608
            [at, conversation.pk, before_seq],
        )


def _message_with_client_id(*, conversation: Conversation, sender, client_msg_id: uuid.UUID) -> Message | None:
    existing = Message.objects.filter(conversation_id=conversation.pk, client_msg_id=client_msg_id).first()
    if existing is not None and existing.sender_id != sender.pk:
        raise ChatError("conflict", _("This message id is already taken."))
    return existing


def _message_body_check(body) -> None:
    if not isinstance(body, str) or not body.strip():
        raise ChatError("empty", _("A message cannot be empty."))
    if len(body) > CHAT_MESSAGE_MAX_CHARS:
        raise ChatError("too_large", _("A message can be at most %(n)s characters.") % {"n": CHAT_MESSAGE_MAX_CHARS})
    try:
        body.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate ("\ud800") is valid JSON but not text
        raise ChatError("malformed", _("The message contains characters that are not valid text.")) from None


def message_post(
    *,
    conversation: Conversation,
    sender,
    client_msg_id: uuid.UUID | str,
    body: str,
    session: CounselingSession | None = None,
    origin: str = "",
) -> tuple[Message, bool]:
    """Store one message, sealed, and return (message, created). Idempotent on `client_msg_id`.

    Preconditions: the caller checked access and the chat gate (sessions.selectors.access_chat,
    chat_gate). `origin` is the sending socket's channel name, so that socket is not sent its own
    message again. A resend (same id), even one racing the first copy in another process, is rolled
    back by the unique constraint on (conversation, client_msg_id), sequence number included, and
    answered with the stored message. In a session, the counselor's message is refused
    ("code_word_pending") until the client's identity is confirmed (sessions.selectors.code_word_gate);
    the client's never is.
    """
    _message_body_check(body)
    client_msg_id = uuid.UUID(str(client_msg_id))
    # No look-up first: resends are rare, and the unique constraint finds them at no cost to the
    # common case (the rolled-back attempt gives its sequence number back).
    from_client = sender.pk == conversation.client_id
    if session is not None and not from_client:
        _counselor_may_write(session=session)
    try:
        with transaction.atomic():
            seq = _next_seq(conversation.pk)
            at = now()
            message = Message(
                conversation=conversation,
                session=session,
                seq=seq,
                sender=sender,
                client_msg_id=client_msg_id,
                created_at=at,
            )
            # Sealed under the CLIENT's key whoever writes: shredding that key erases the whole record.
            message.body_sealed = seal(owner_id=conversation.client_id, plaintext=body, context=message.aad)
            if from_client:
                message.reply_due_at = reply_due_at_for(counselor=conversation.counselor, sent_at=at)
            _message_insert(message)
            if not from_client:
                # A counselor's reply answers every earlier client message still waiting.
                _client_messages_answer(conversation=conversation, before_seq=seq, at=at)
            conversation_event_on_commit(
                conversation_id=conversation.pk, event=message_new_event(message=message, origin=origin)
            )
            if from_client and session is None:
                # Between sessions the counselor may not have the chat open: every page of theirs hears of it.
                notify_user_on_commit(
                    user_id=conversation.counselor_id, payload=client_message_notice(conversation=conversation)
                )
            if from_client:
                for watcher in client_message_watchers():
                    watcher.on_stored(message=message, text=body)
    except IntegrityError:
        existing = _message_with_client_id(conversation=conversation, sender=sender, client_msg_id=client_msg_id)
        if existing is None:
            raise
        return existing, False
    conversation.last_seq = max(conversation.last_seq, seq)
    return message, True


CHAT_SEQ_ATTEMPTS = 4  # both sides writing at once: the loser takes the next number and re-seals


async def message_post_on_loop(
    *,
    conversation: Conversation,
    sender,
    client_msg_id: uuid.UUID | str,
    body: str,
    session: CounselingSession | None = None,
    origin: str = "",
) -> tuple[Message, bool]:
    """message_post for a chat socket, called on its event loop: counted against the sender's rate limit
    (refused with "rate_limited" over it), then the same preconditions, checks and result.

    The ordinary message (PostgreSQL, the client's key and the risk phrases already held by this
    process, no risk phrase in it) is stored by one statement on the loop's own connection
    (counseling.on_loop) and its event sent from the loop: no worker thread. Everything else goes
    through message_post in a worker thread as before: a message with a risk phrase (its escalation
    commits with it), a resent id, a cold cache, SQLite, a database error on the loop's connection.
    """
    window = chat_rate_reserve_on_loop(user_id=sender.pk)
    try:
        _message_body_check(body)
        client_msg_id = uuid.UUID(str(client_msg_id))
        # Shielded: a socket closed mid-statement must not cut it off between its commit and its event.
        message = await asyncio.shield(
            asyncio.ensure_future(
                _message_store_on_loop(
                    conversation=conversation,
                    sender=sender,
                    client_msg_id=client_msg_id,
                    body=body,
                    session=session,
                    origin=origin,
                )
            )
        )
        if message is not None:
            return message, True
        return await database_sync_to_async(message_post, thread_sensitive=False)(
            conversation=conversation,
            sender=sender,
            client_msg_id=client_msg_id,
            body=body,
            session=session,
            origin=origin,
        )
    finally:
        # After the store and its event: the count is off the path of the message to the other person.
        await chat_rate_count_on_loop(user_id=sender.pk, window=window)


async def _message_store_on_loop(
    *,
    conversation: Conversation,
    sender,
    client_msg_id: uuid.UUID,
    body: str,
    session: CounselingSession | None,
    origin: str,
) -> Message | None:
    """Store one message with a single statement, committed with the other messages of its batch
    (sessions.chat.committer), or return None (nothing stored) to leave it to message_post."""
    if not settings.CHAT_STORE_ON_LOOP or connection.vendor != "postgresql":
        return None
    data_key = await data_key_on_loop(owner_id=conversation.client_id)
    if data_key is None:
        return None
    from_client = sender.pk == conversation.client_id
    if session is not None and not from_client and not getattr(session, _CODE_WORD_CONFIRMED, False):
        return None  # message_post checks the code word first, in a thread (once per socket, until confirmed)
    if from_client:
        try:
            risky = any(watcher.quick_check(body) is not False for watcher in client_message_watchers())
        except Exception:  # never refuse a message over its risk check: message_post checks it its own way
            log.exception("Risk check of a message in conversation %s failed on the event loop", conversation.pk)
            risky = True
        if risky:
            return None
    notice = None
    if from_client and session is None:
        try:  # built from memory (the socket loaded the people and their profiles), before the statement
            notice = client_message_notice(conversation=conversation)
        except SynchronousOnlyOperation:  # not loaded here
            return None
    if from_client:
        try:
            reply_due_at_for(counselor=conversation.counselor, sent_at=now())
        except SynchronousOnlyOperation:  # the counselor's profile is not loaded here
            return None
    built: list[dict] = []  # the values of each message sealed, by attname: the last is the one sent
    session_id = session.pk if session is not None else None

    def statement_for(expected: int) -> tuple[str, list, str]:
        """The store statement for the number after `expected`, the message sealed for that number (the
        number is part of what the seal authenticates). Called by the committer as it forms the batch."""
        at = now()
        seq = expected + 1
        aad = Message.aad_for(conversation_id=conversation.pk, sender_id=sender.pk, seq=seq)
        values = {
            "conversation_id": conversation.pk,
            "session_id": session_id,
            "seq": seq,
            "sender_id": sender.pk,
            "client_msg_id": client_msg_id,
            "body_sealed": seal(owner_id=conversation.client_id, plaintext=body, context=aad, data_key=data_key),
            "created_at": at,
            "reply_due_at": reply_due_at_for(counselor=conversation.counselor, sent_at=at) if from_client else None,
        }
        params = [conversation.pk, expected, *_new_message_values(**values)]
        if not from_client:
            params += [at, conversation.pk, seq]
        params.append(conversation.pk)
        built.append(values)
        name = "chat_store_reply" if not from_client else "chat_store_message"
        return _store_statement(answers=not from_client), params, name

    expected = conversation.last_seq
    for _attempt in range(CHAT_SEQ_ATTEMPTS):
        try:
            if settings.CHAT_GROUP_COMMIT:
                stored_id, current_seq, _seq = await committer().store(
                    conversation_id=conversation.pk,
                    client_msg_id=client_msg_id,
                    expected=expected,
                    statement_for=statement_for,
                )
            else:
                sql, params, name = statement_for(expected)
                stored_id, current_seq = await on_loop.postgres().fetchone(sql, params, prepared_as=name)
        except psycopg2.IntegrityError:
            return None  # a resent id: message_post answers with the stored message
        except psycopg2.Error:
            log.warning(
                "Storing a message of conversation %s on the event loop failed; retrying in a thread",
                conversation.pk,
                exc_info=True,
            )
            return None
        values = built[-1]
        if stored_id is not None:
            break
        if current_seq is None:
            return None
        # The other side's message took the number. `current_seq` is read at the statement's start, so
        # when it waited for that other transaction it is one behind: the number has grown since.
        expected = max(current_seq, values["seq"])
    else:
        return None
    message = message_instance(values={**values, "id": stored_id})
    # As Message(conversation=..., sender=..., session=...) holds them: reading them back needs no query.
    for name, related in (("conversation", conversation), ("sender", sender), ("session", session)):
        Message._meta.get_field(name).set_cached_value(message, related)
    conversation.last_seq = max(conversation.last_seq, message.seq)
    await group_send_from_loop(
        group=conversation_group(conversation.pk), event=message_new_event(message=message, origin=origin)
    )
    if notice is not None:
        # Then the counselor's open pages, off the path of the sender's ack (one more publish, not waited for).
        _in_background(notify_user_from_loop(user_id=conversation.counselor_id, payload=notice))
    return message


_background: set[asyncio.Task] = set()


def _in_background(coroutine) -> None:
    """Run `coroutine` on this loop without waiting for it. Held here until it is done: the loop keeps only a
    weak reference to a task. The coroutine must handle its own errors (group_send_from_loop does)."""
    task = asyncio.ensure_future(coroutine)
    _background.add(task)
    task.add_done_callback(_background.discard)


@functools.cache
def _store_statement(*, answers: bool) -> str:
    """One statement, so one transaction: take the next sequence number if it is still the one the message
    was sealed for, insert the message, and (a counselor's reply, `answers`) mark the client's messages
    waiting for a reply answered. It returns the new message's id (NULL if the number was taken
    meanwhile) and the conversation's last number as it was before."""
    quote = connection.ops.quote_name
    conversations, messages = quote(Conversation._meta.db_table), quote(Message._meta.db_table)
    columns = _message_columns()
    names = ", ".join(quote(field.column) for field in columns)
    values = ", ".join(f"%s::{field.db_type(connection)}" for field in columns)  # typed: INSERT ... SELECT
    answered = (
        (
            f", answered AS (UPDATE {messages} SET answered_at = %s WHERE {_AWAITING_REPLY_BEFORE} "  # noqa: S608
            "AND EXISTS (SELECT 1 FROM next))"
        )
        if answers
        else ""
    )
    return (
        f"WITH next AS (UPDATE {conversations} SET last_seq = last_seq + 1 WHERE id = %s AND last_seq = %s "  # noqa: S608
        f"RETURNING last_seq), stored AS (INSERT INTO {messages} ({names}) SELECT {values} FROM next "
        f"RETURNING id){answered} SELECT (SELECT id FROM stored), (SELECT last_seq FROM {conversations} "
        "WHERE id = %s)"
    )


def messages_mark_read(*, conversation: Conversation, reader, up_to_seq: int) -> int:
    """Mark the other party's messages up to `up_to_seq` read by `reader`; tells the sockets after commit."""
    with transaction.atomic():
        unread = Message.objects.filter(conversation_id=conversation.pk, seq__lte=up_to_seq, read_at__isnull=True)
        # The other side's: the client reads the counselor's (and a cover's); a counselor or cover the client's.
        if reader.pk == conversation.client_id:
            unread = unread.exclude(sender_id=conversation.client_id)
        else:
            unread = unread.filter(sender_id=conversation.client_id)
        updated = unread.update(read_at=now())
        if updated:
            conversation_event_on_commit(
                conversation_id=conversation.pk,
                event={"type": "message.read", "reader": reader.pk, "up_to_seq": up_to_seq},
            )
    return updated


def chat_open_record(*, user, access, ip_address: str | None = None) -> None:
    """Audit that `user` opened a chat socket (a read of client data, ACA H.2.b / HIPAA 164.312(b))."""
    conversation = access.conversation
    audit_record(
        actor=user,
        action="chat.break_glass_read" if access.read_only else ("chat.cover_open" if access.cover else "chat.open"),
        target=conversation,
        subject=conversation.client_id,
        ip_address=ip_address,
        detail={
            "session": access.session.pk if access.session else None,
            **({"cover": access.cover.pk, "escalation": access.cover.escalation_ref} if access.cover else {}),
        },
    )


def cover_open(
    *,
    conversation: Conversation,
    cover,
    role: str,
    reason: str,
    escalation_ref: int,
    card_path: str,
    at: datetime | None = None,
    request=None,
) -> ConversationCover:
    """Let `cover` read the recent history of this conversation and reply as themselves for COVER_MINUTES.

    Precondition: the caller (crisis.services.cover_pickup) checked that they hold the escalation's rung. A cover
    still live is renewed from now, never shortened. Audited; the conversation's open pages are told who answers
    and why (the client's among them), and the client is notified on their other pages.
    """
    at = at or now()
    until = at + timedelta(minutes=settings.COVER_MINUTES)
    with transaction.atomic():
        live = (
            ConversationCover.objects.select_for_update()
            .filter(conversation=conversation, cover=cover, escalation_ref=escalation_ref, ended_at__isnull=True)
            .filter(ends_at__gt=at)
            .first()
        )
        if live is not None:
            live.ends_at = max(live.ends_at, until)
            live.save(update_fields=["ends_at"])
            record = live
        else:
            record = ConversationCover.objects.create(
                conversation=conversation,
                cover=cover,
                role=role,
                reason=reason,
                escalation_ref=escalation_ref,
                card_path=card_path,
                from_seq=max(1, conversation.last_seq - settings.COVER_HISTORY_MESSAGES + 1),
                started_at=at,
                ends_at=until,
            )
        audit_record(
            actor=cover,
            action="chat.cover_picked_up",
            target=conversation,
            subject=conversation.client_id,
            request=request,
            detail={
                "cover": record.pk,
                "escalation": escalation_ref,
                "reason": reason,
                "until": record.ends_at.isoformat(),
                "from_seq": record.from_seq,
            },
        )
        conversation_event_on_commit(conversation_id=conversation.pk, event={"type": "chat.cover", "cover": record.pk})
        notify_user_on_commit(user_id=conversation.client_id, payload=cover_notice(cover=record))
    return record


def covers_end(*, escalation_ref: int, at: datetime | None = None) -> int:
    """End every live cover opened for this escalation (it was resolved): their sockets re-check and close."""
    at = at or now()
    with transaction.atomic():
        live = ConversationCover.objects.filter(escalation_ref=escalation_ref, ended_at__isnull=True)
        conversations = set(live.values_list("conversation_id", flat=True))
        ended = live.update(ended_at=at)
        for conversation_id in conversations:
            conversation_event_on_commit(conversation_id=conversation_id, event={"type": "chat.recheck"})
    return ended


def break_glass_open(*, admin, conversation: Conversation, reason: str, request=None) -> None:
    """Let an admin read one conversation for BREAK_GLASS_SECONDS, with the reason in the audit log."""
    reason = reason.strip()
    if not admin.is_admin or len(reason) < 10:
        raise ChatError("forbidden", _("Break-glass access needs an admin and a reason of at least 10 characters."))
    with transaction.atomic():
        audit_record(
            actor=admin,
            action="chat.break_glass",
            target=conversation,
            subject=conversation.client_id,
            request=request,
            detail={"reason": reason[:500], "seconds": BREAK_GLASS_SECONDS},
        )
        key = BREAK_GLASS_CACHE_KEY.format(admin_id=admin.pk, conversation_id=conversation.pk)
        transaction.on_commit(lambda: cache.set(key, True, timeout=BREAK_GLASS_SECONDS))


def chat_help_request(
    *, client, conversation: Conversation, session: CounselingSession | None = None, ip_address: str | None = None
) -> None:
    """The client pressed "I need help now" in the chat: record it and tell escalation after commit."""
    with transaction.atomic():
        audit_record(
            actor=client,
            action="chat.help_requested",
            target=conversation,
            subject=client,
            ip_address=ip_address,
            detail={"session": session.pk if session else None},
        )
        session_id = session.pk if session else None
        transaction.on_commit(
            lambda: client_help_requested.send(sender=Conversation, client_id=client.pk, session_id=session_id)
        )


def transcript_export(
    *, user, conversation: Conversation, session: CounselingSession | None = None, time_zone: str = "UTC", request=None
) -> str:
    """The transcript text for `user`, audit-logged as an export (a client's right of access, UU PDP
    art. 7; a counselor's clinical record). The caller checked that `user` may export it."""
    with transaction.atomic():
        audit_record(
            actor=user,
            action="transcript.export",
            target=session or conversation,
            subject=conversation.client_id,
            request=request,
            detail={"conversation": conversation.pk, "session": session.pk if session else None},
        )
    return transcript_text(conversation=conversation, session=session, time_zone=time_zone)


def session_panel_viewed_record(*, user, session: CounselingSession, request=None) -> None:
    """Audit the counselor's read of the session-start panel (location, emergency contact)."""
    audit_record(
        actor=user, action="session.start_panel_viewed", target=session, subject=session.client_id, request=request
    )


# --- The code word at the start of each session (ACA H.3: verify identity throughout the relationship) ------


def _code_word_event_on_commit(*, session: CounselingSession, event: dict) -> None:
    """Tell the pair's open chat sockets (if they ever opened a chat) about the session's code word."""
    conversation = Conversation.objects.filter(client_id=session.client_id, counselor_id=session.counselor_id).first()
    if conversation is not None:
        conversation_event_on_commit(conversation_id=conversation.pk, event={**event, "session": session.pk})


def session_code_word_answer(
    *, session: CounselingSession, client, attempt: str, request=None, ip_address: str | None = None
) -> bool:
    """The client's code word for this session, typed privately (in the chat's own box or on its page, never
    into the chat). Returns whether it matched.

    identity checks it (identity.services.code_word_check, which audits it). After the commit the session's
    chat tells the counselor the outcome (match or not, never the word), and a mismatch sends
    sessions.signals.code_word_mismatched, from which escalation opens one identity escalation per session.
    After CODE_WORD_FAILURE_LIMIT wrong answers it raises CodeWordLocked; the lock is audited and the
    counselor told.
    """
    if session.client_id != client.pk:
        raise PermissionDenied
    locked = False
    with transaction.atomic():
        try:
            matched = code_word_check(
                session=session, attempt=attempt, actor=client, request=request, ip_address=ip_address
            )
        except CodeWordLocked:
            matched, locked = False, True
        status = code_word_status(session=session)
        _code_word_event_on_commit(
            session=session,
            event={"type": "chat.code_word_result", "match": matched, "state": status.state},
        )
        if not matched and not locked:
            session_id = session.pk
            # Robust: the answer stays stored and the counselor told even if opening the escalation fails (logged).
            transaction.on_commit(
                lambda: code_word_mismatched.send(sender=CounselingSession, session_id=session_id), robust=True
            )
    if locked:
        raise CodeWordLocked
    return matched


def code_word_answer(*, session: CounselingSession, client, attempt: str, ip_address: str | None = None) -> bool:
    """session_code_word_answer for the chat socket: a lock is a ChatError ("code_word_locked")."""
    try:
        return session_code_word_answer(session=session, client=client, attempt=attempt, ip_address=ip_address)
    except CodeWordLocked as exc:
        raise ChatError("code_word_locked", _("Too many wrong answers; please wait and try again later.")) from exc


def code_word_override(
    *, session: CounselingSession, counselor, reason, ip_address: str | None = None, origin: str = ""
) -> None:
    """The session's counselor goes on without a matching code word and writes down why ("a voice I know",
    "the client is in crisis and must not wait"): sealed and audited (identity.services.code_word_override_record).
    From then on they may write in this session (sessions.selectors.code_word_gate); their open chat sockets
    are told after the commit (except `origin`, the socket that asked, which answers itself). Raises ChatError
    "reason_required" (no reason), "too_large" (too long) or "malformed" (not text) with the message to show,
    PermissionDenied for anyone but the session's counselor."""
    try:
        with transaction.atomic():
            code_word_override_record(
                session=session,
                counselor=counselor,
                reason=reason if isinstance(reason, str) else "",
                ip_address=ip_address,
            )
            _code_word_event_on_commit(session=session, event={"type": "chat.code_word_overridden", "origin": origin})
    except ValidationError as error:
        code = {"reason_too_long": "too_large", "reason_invalid": "malformed"}.get(error.code, "reason_required")
        raise ChatError(code, error.messages[0]) from error
