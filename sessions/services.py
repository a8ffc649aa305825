"""Writes of the sessions app: booking, state moves, chat messages. State moves happen only here."""

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
from django.core.exceptions import SynchronousOnlyOperation
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from counseling import on_loop
from counseling.audit import audit_record
from counseling.clock import now
from counseling.crypto import data_key_on_loop, seal
from counseling.escalation import message_risk_open, risk_match, risk_phrases_held
from counseling.gates import GateResult
from counseling.models import CounselorProfile
from counseling.notifications import group_send_from_loop, notify_user_on_commit
from sessions.events import (
    chat_close_on_commit,
    conversation_event_on_commit,
    conversation_group,
    message_new_event,
)
from sessions.models import (
    AvailabilityException,
    Conversation,
    CounselingSession,
    Message,
    Referral,
    SessionState,
    WeeklyAvailability,
)
from sessions.selectors import (
    BREAK_GLASS_CACHE_KEY,
    booking_gate,
    client_place,
    reply_due_at_for,
    session_start_gate,
    slot_is_offered,
    transcript_text,
)
from sessions.signals import client_help_requested

log = logging.getLogger(__name__)

# --- Chat: storing messages, receipts, exports, break-glass -----------------------------------------
# The database is the mailbox, Redis only the doorbell (docs/chat-protocol.md): a message is
# committed, sealed under the client's data key, before anyone is told; events carry ids and the
# sealed body (ciphertext), never plaintext.

CHAT_MESSAGE_MAX_CHARS = 4000
BREAK_GLASS_SECONDS = 30 * 60


class ChatError(Exception):
    """A refused chat write, with a stable code for the error frame."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.message = message


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
                key=key, ttl=window_seconds * 2)
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
        cursor.execute(f"UPDATE {table} SET last_seq = last_seq + 1 WHERE id = %s RETURNING last_seq",  # noqa: S608
                       [conversation_id])
        return cursor.fetchone()[0]


def _message_columns() -> list:
    return [field for field in Message._meta.concrete_fields if not field.primary_key and not field.generated]


def _message_values(message: Message) -> list:
    """The row of `message` as save() would store it: every value through its field's own preparation."""
    return [field.get_db_prep_save(getattr(message, field.attname), connection) for field in _message_columns()]


def _message_insert(message: Message) -> None:
    """INSERT one new message and set its id: the ORM's save minus its machinery (signals, the query
    compiler), which cost more than the statement itself on the chat's hottest path (bench/chat_bench.py).
    Message has no save() override and no signal receivers; keep it so, or go back to save()."""
    quote = connection.ops.quote_name
    columns = _message_columns()
    sql = (f"INSERT INTO {quote(Message._meta.db_table)} ({', '.join(quote(f.column) for f in columns)}) "  # noqa: S608
           f"VALUES ({', '.join(['%s'] * len(columns))}) RETURNING {quote(Message._meta.pk.column)}")
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
        cursor.execute(f"UPDATE {table} SET answered_at = %s WHERE {_AWAITING_REPLY_BEFORE}",  # noqa: S608
                       [at, conversation.pk, before_seq])


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


def message_post(*, conversation: Conversation, sender, client_msg_id: uuid.UUID | str, body: str,
                 session: CounselingSession | None = None, origin: str = "") -> tuple[Message, bool]:
    """Store one message, sealed, and return (message, created). Idempotent on `client_msg_id`.

    Preconditions: the caller checked access and the chat gate (sessions.selectors.access_chat,
    chat_gate). `origin` is the sending socket's channel name, so that socket is not sent its own
    message again. A resend (same id), even one racing the first copy in another process, is rolled
    back by the unique constraint on (conversation, client_msg_id), sequence number included, and
    answered with the stored message.
    """
    _message_body_check(body)
    client_msg_id = uuid.UUID(str(client_msg_id))
    # No look-up first: resends are rare, and the unique constraint finds them at no cost to the
    # common case (the rolled-back attempt gives its sequence number back).
    from_client = sender.pk == conversation.client_id
    try:
        with transaction.atomic():
            seq = _next_seq(conversation.pk)
            at = now()
            message = Message(conversation=conversation, session=session, seq=seq, sender=sender,
                              client_msg_id=client_msg_id, created_at=at)
            # Sealed under the CLIENT's key whoever writes: shredding that key erases the whole record.
            message.body_sealed = seal(owner_id=conversation.client_id, plaintext=body, context=message.aad)
            if from_client:
                message.reply_due_at = reply_due_at_for(counselor=conversation.counselor, sent_at=at)
            _message_insert(message)
            if not from_client:
                # A counselor's reply answers every earlier client message still waiting.
                _client_messages_answer(conversation=conversation, before_seq=seq, at=at)
            conversation_event_on_commit(conversation_id=conversation.pk,
                                         event=message_new_event(message=message, origin=origin))
            if from_client:
                message_risk_open(message=message, text=body)
    except IntegrityError:
        existing = _message_with_client_id(conversation=conversation, sender=sender, client_msg_id=client_msg_id)
        if existing is None:
            raise
        return existing, False
    conversation.last_seq = max(conversation.last_seq, seq)
    return message, True


CHAT_SEQ_ATTEMPTS = 4  # both sides writing at once: the loser takes the next number and re-seals


async def message_post_on_loop(*, conversation: Conversation, sender, client_msg_id: uuid.UUID | str, body: str,
                               session: CounselingSession | None = None, origin: str = "") -> tuple[Message, bool]:
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
        message = await asyncio.shield(asyncio.ensure_future(_message_store_on_loop(
            conversation=conversation, sender=sender, client_msg_id=client_msg_id, body=body, session=session,
            origin=origin)))
        if message is not None:
            return message, True
        return await database_sync_to_async(message_post, thread_sensitive=False)(
            conversation=conversation, sender=sender, client_msg_id=client_msg_id, body=body, session=session,
            origin=origin)
    finally:
        # After the store and its event: the count is off the path of the message to the other person.
        await chat_rate_count_on_loop(user_id=sender.pk, window=window)


async def _message_store_on_loop(*, conversation: Conversation, sender, client_msg_id: uuid.UUID, body: str,
                                 session: CounselingSession | None, origin: str) -> Message | None:
    """Store one message with a single statement, or return None (nothing stored) to leave it to message_post."""
    if not settings.CHAT_STORE_ON_LOOP or connection.vendor != "postgresql":
        return None
    data_key = await data_key_on_loop(owner_id=conversation.client_id)
    if data_key is None:
        return None
    from_client = sender.pk == conversation.client_id
    if from_client:
        phrases = risk_phrases_held()
        try:
            risky = phrases is None or risk_match(body, phrases=phrases) is not None
        except Exception:  # never refuse a message over its risk check: message_post checks it its own way
            log.exception("Risk check of a message in conversation %s failed on the event loop", conversation.pk)
            risky = True
        if risky:
            return None
    expected = conversation.last_seq
    for _attempt in range(CHAT_SEQ_ATTEMPTS):
        at = now()
        message = Message(conversation=conversation, session=session, seq=expected + 1, sender=sender,
                          client_msg_id=client_msg_id, created_at=at)
        message.body_sealed = seal(owner_id=conversation.client_id, plaintext=body, context=message.aad,
                                   data_key=data_key)
        if from_client:
            try:
                message.reply_due_at = reply_due_at_for(counselor=conversation.counselor, sent_at=at)
            except SynchronousOnlyOperation:  # the counselor's profile is not loaded here
                return None
        params = [conversation.pk, expected, *_message_values(message)]
        if not from_client:
            params += [at, conversation.pk, message.seq]
        params.append(conversation.pk)
        try:
            stored_id, current_seq = await on_loop.postgres().fetchone(
                _store_statement(answers=not from_client), params,
                prepared_as="chat_store_reply" if not from_client else "chat_store_message")
        except psycopg2.IntegrityError:
            return None  # a resent id: message_post answers with the stored message
        except psycopg2.Error:
            log.warning("Storing a message of conversation %s on the event loop failed; retrying in a thread",
                        conversation.pk, exc_info=True)
            return None
        if stored_id is not None:
            break
        if current_seq is None:
            return None
        # The other side's message took the number. `current_seq` is read at the statement's start, so
        # when it waited for that other transaction it is one behind: the number has grown since.
        expected = max(current_seq, expected + 1)
    else:
        return None
    message.pk = stored_id
    message._state.adding = False
    message._state.db = connection.alias
    conversation.last_seq = max(conversation.last_seq, message.seq)
    await group_send_from_loop(group=conversation_group(conversation.pk),
                               event=message_new_event(message=message, origin=origin))
    return message


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
    answered = (f", answered AS (UPDATE {messages} SET answered_at = %s WHERE {_AWAITING_REPLY_BEFORE} "  # noqa: S608
                "AND EXISTS (SELECT 1 FROM next))") if answers else ""
    return (f"WITH next AS (UPDATE {conversations} SET last_seq = last_seq + 1 WHERE id = %s AND last_seq = %s "  # noqa: S608
            f"RETURNING last_seq), stored AS (INSERT INTO {messages} ({names}) SELECT {values} FROM next "
            f"RETURNING id){answered} SELECT (SELECT id FROM stored), (SELECT last_seq FROM {conversations} "
            "WHERE id = %s)")


def messages_mark_read(*, conversation: Conversation, reader, up_to_seq: int) -> int:
    """Mark the other party's messages up to `up_to_seq` read by `reader`; tells the sockets after commit."""
    with transaction.atomic():
        updated = (Message.objects.filter(conversation_id=conversation.pk, seq__lte=up_to_seq, read_at__isnull=True)
                   .exclude(sender_id=reader.pk).update(read_at=now()))
        if updated:
            conversation_event_on_commit(conversation_id=conversation.pk, event={
                "type": "message.read", "reader": reader.pk, "up_to_seq": up_to_seq})
    return updated


def chat_open_record(*, user, access, ip_address: str | None = None) -> None:
    """Audit that `user` opened a chat socket (a read of client data, ACA H.2.b / HIPAA 164.312(b))."""
    conversation = access.conversation
    audit_record(actor=user, action="chat.break_glass_read" if access.read_only else "chat.open",
                 target=conversation, subject=conversation.client_id, ip_address=ip_address,
                 detail={"session": access.session.pk if access.session else None})


def break_glass_open(*, admin, conversation: Conversation, reason: str, request=None) -> None:
    """Let an admin read one conversation for BREAK_GLASS_SECONDS, with the reason in the audit log."""
    reason = reason.strip()
    if not admin.is_admin or len(reason) < 10:
        raise ChatError("forbidden", _("Break-glass access needs an admin and a reason of at least 10 characters."))
    with transaction.atomic():
        audit_record(actor=admin, action="chat.break_glass", target=conversation, subject=conversation.client_id,
                     request=request, detail={"reason": reason[:500], "seconds": BREAK_GLASS_SECONDS})
        key = BREAK_GLASS_CACHE_KEY.format(admin_id=admin.pk, conversation_id=conversation.pk)
        transaction.on_commit(lambda: cache.set(key, True, timeout=BREAK_GLASS_SECONDS))


def chat_help_request(*, client, conversation: Conversation, session: CounselingSession | None = None,
                      ip_address: str | None = None) -> None:
    """The client pressed "I need help now" in the chat: record it and tell escalation after commit."""
    with transaction.atomic():
        audit_record(actor=client, action="chat.help_requested", target=conversation, subject=client,
                     ip_address=ip_address, detail={"session": session.pk if session else None})
        session_id = session.pk if session else None
        transaction.on_commit(lambda: client_help_requested.send(sender=Conversation, client_id=client.pk,
                                                                 session_id=session_id))


def transcript_export(*, user, conversation: Conversation, session: CounselingSession | None = None,
                      time_zone: str = "UTC", request=None) -> str:
    """The transcript text for `user`, audit-logged as an export (a client's right of access, UU PDP
    art. 7; a counselor's clinical record). The caller checked that `user` may export it."""
    with transaction.atomic():
        audit_record(actor=user, action="transcript.export", target=session or conversation,
                     subject=conversation.client_id, request=request,
                     detail={"conversation": conversation.pk, "session": session.pk if session else None})
    return transcript_text(conversation=conversation, session=session, time_zone=time_zone)
def session_panel_viewed_record(*, user, session: CounselingSession, request=None) -> None:
    """Audit the counselor's read of the session-start panel (location, emergency contact)."""
    audit_record(actor=user, action="session.start_panel_viewed", target=session, subject=session.client_id,
                 request=request)


def caseload_client_viewed_record(*, counselor, client, request=None) -> None:
    """Audit a counselor's read of one client's page (their sessions and referrals, decrypted)."""
    audit_record(actor=counselor, action="caseload.client_viewed", target=client, subject=client.pk, request=request)


def session_viewed_record(*, user, session: CounselingSession, request=None) -> None:
    """Audit a counselor's read of one session of their client (its times, state and location)."""
    audit_record(actor=user, action="session.viewed", target=session, subject=session.client_id, request=request)


def code_word_answer(*, session: CounselingSession, client, attempt: str, ip_address: str | None = None) -> bool:
    """The client answers the counselor's code-word question, privately (never into the chat).

    Uses the identity feature's check (counseling.intake.code_word_check); the counselor is told only
    match or no match, after commit. Raises ChatError when the check is locked or not available.
    """
    try:
        from counseling.intake import CodeWordLocked, code_word_check
    except ImportError as exc:
        raise ChatError("unavailable", _("The code-word check is not available.")) from exc
    conversation = Conversation.objects.get(client_id=session.client_id, counselor_id=session.counselor_id)
    try:
        with transaction.atomic():
            matched = code_word_check(session=session, attempt=attempt, actor=client)
            conversation_event_on_commit(conversation_id=conversation.pk,
                                         event={"type": "chat.code_word_result", "session": session.pk,
                                                "match": matched})
    except CodeWordLocked as exc:
        raise ChatError("code_word_locked", _("Too many wrong answers; please wait and try again later.")) from exc
    return matched


# --- end of the chat section ---


def sessions_cancel_for_consent_withdrawal(*, client, actor, request=None) -> int:
    """Cancel the client's sessions still to come after they withdrew consent (consent app calls this).

    Each SCHEDULED/OPEN session that has not ended moves to CANCELLED by a conditional update (so a
    concurrent move wins cleanly), is audit-logged, and its counselor is notified on their open pages
    and by e-mail (no client data beyond the pseudonym and the time). Open chat sockets of the pair
    are told to re-check their gates, which now refuse, and close. Call inside a transaction.
    """
    # Imported here: this function was added by the consent work and keeps its imports to itself.
    from django.conf import settings
    from django.core.mail import send_mail
    from django.db import transaction
    from django.utils import translation
    from django.utils.translation import gettext as _

    from counseling.audit import audit_record
    from counseling.clock import now
    from counseling.notifications import notify_user_on_commit
    from sessions.events import chat_close_on_commit
    from sessions.models import Conversation, CounselingSession, SessionState

    cancelled = 0
    at = now()
    with transaction.atomic():
        due = list(CounselingSession.objects.select_related("counselor__counselor_profile")
                   .filter(client=client, state__in=[SessionState.SCHEDULED, SessionState.OPEN], ends_at__gt=at)
                   .order_by("starts_at"))
        for session in due:
            moved = CounselingSession.objects.filter(pk=session.pk, state=session.state).update(
                state=SessionState.CANCELLED, cancelled_at=at, cancelled_by=actor, cancel_reason="consent_withdrawn")
            if not moved:
                continue
            cancelled += 1
            audit_record(actor=actor, action="session.cancelled", target=session, subject=client, request=request,
                         detail={"reason": "consent_withdrawn", "from_state": session.state})
            notify_user_on_commit(user_id=session.counselor_id, payload={
                "kind": "session_cancelled", "session_id": session.pk, "reason": "consent_withdrawn"})
            profile = getattr(session.counselor, "counselor_profile", None)
            language = (profile.language_codes[0] if profile and profile.language_codes else settings.LANGUAGE_CODE)
            with translation.override(language):
                subject = _("Session cancelled: the client withdrew consent")
                body = _("%(client)s withdrew their consent to online counseling. Your session on %(when)s (UTC) "
                         "was cancelled. Their records are kept according to the retention policy.") % {
                    "client": client.display_name, "when": session.starts_at.strftime("%Y-%m-%d %H:%M")}
            recipient = session.counselor.email
            transaction.on_commit(lambda s=subject, b=body, r=recipient: send_mail(
                s, b, None, [r], fail_silently=True))
        conversation = Conversation.objects.filter(client=client).values_list("pk", flat=True)
        for conversation_id in conversation:
            chat_close_on_commit(conversation_id=conversation_id, reason="consent_withdrawn")
    return cancelled


# --- Booking, availability, session states, referrals (issue 6) -----------------------------------
# State moves: scheduled -> open (chat available SESSION_OPEN_MINUTES_BEFORE the start) -> in progress
# -> completed; scheduled/open -> cancelled or no-show. Every move is a conditional update
# (filter on the current state), so a move made twice, or by the beat job and a page at once,
# happens once, and is audit-logged once.

CANCEL_REASONS = {
    "schedule_conflict": gettext_lazy("I have a schedule conflict"),
    "unwell": gettext_lazy("I am unwell"),
    "no_longer_needed": gettext_lazy("I no longer need this session"),
    "counselor_unavailable": gettext_lazy("The counselor is unavailable"),
    "other": gettext_lazy("Another reason"),
}
# System reason codes, never offered in a form.
SYSTEM_CANCEL_REASONS = {"rescheduled", "consent_withdrawn"}
# A session that was started is completed automatically this long after its planned end.
AUTO_COMPLETE_AFTER = timedelta(minutes=30)
LIVE_STATES = (SessionState.SCHEDULED, SessionState.OPEN, SessionState.IN_PROGRESS)


class BookingError(Exception):
    """A refused booking or state move, with a stable code and a message a person can act on."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.message = message or code


def _session_notify(*, session: CounselingSession, event: str) -> None:
    """In-app notice and e-mail to both parties, after commit, ids only (sessions.tasks renders the text)."""
    for user_id in (session.client_id, session.counselor_id):
        notify_user_on_commit(user_id=user_id, payload={
            "kind": f"session_{event}", "session_id": session.pk,
            "url": reverse("sessions:session_detail", args=[session.pk])})
    from sessions.tasks import session_email_send

    transaction.on_commit(lambda: session_email_send.delay(session.pk, event))


def _refuse_unless(result: GateResult) -> None:
    if not result:
        raise BookingError(result.reason, result.message)


def session_book(*, client, counselor, starts_at: datetime, request=None, at: datetime | None = None,
                 actor=None, rescheduled_from: CounselingSession | None = None) -> CounselingSession:
    """Book `client` with `counselor` at `starts_at` (a slot from open_slots), or raise BookingError.

    Bookings of one counselor are serialised by a lock on the counselor's profile row, so the
    caseload limit and the free-slot check see every earlier booking; the database constraints
    (session_*_slot_unique, and on PostgreSQL the no-overlap exclusions) refuse a double booking
    even if that lock were skipped.
    """
    at = at or now()
    actor = actor or client
    with transaction.atomic():
        CounselorProfile.objects.select_for_update().filter(user=counselor).first()
        _refuse_unless(booking_gate(client=client, counselor=counselor, starts_at=starts_at, at=at))
        if not slot_is_offered(counselor=counselor, starts_at=starts_at, at=at):
            raise BookingError("slot_unavailable", _("This time is no longer available. Please choose another."))
        ends_at = starts_at + timedelta(minutes=settings.SESSION_LENGTH_MINUTES)
        if CounselingSession.objects.filter(client=client, starts_at__lt=ends_at, ends_at__gt=starts_at,
                                            state__in=LIVE_STATES).exists():
            raise BookingError("client_busy", _("You already have a session at this time."))
        place = client_place(client=client)
        try:
            with transaction.atomic():
                session = CounselingSession.objects.create(
                    client=client, counselor=counselor, starts_at=starts_at, ends_at=ends_at,
                    client_time_zone=client.client_profile.time_zone,
                    counselor_time_zone=counselor.counselor_profile.time_zone,
                    response_promise_hours=counselor.counselor_profile.response_time_promise_hours,
                    location_country=place.country if place else "", location_region=place.region if place else "",
                    rescheduled_from=rescheduled_from, created_at=at)
        except IntegrityError as error:
            raise BookingError("slot_unavailable",
                               _("This time is no longer available. Please choose another.")) from error
        audit_record(actor=actor, action="session.booked", target=session, subject=client, request=request,
                     detail={"starts_at": starts_at.isoformat(), "counselor_id": counselor.pk,
                             "rescheduled_from": rescheduled_from.pk if rescheduled_from else None})
        if rescheduled_from is None:
            _session_notify(session=session, event="booked")
    return session


def _cancel_locked(*, session: CounselingSession, actor, reason: str, at: datetime, request) -> bool:
    previous = session.state
    late = session.starts_at - at < timedelta(hours=settings.SESSION_CANCEL_NOTICE_HOURS)
    moved = CounselingSession.objects.filter(
        pk=session.pk, state__in=(SessionState.SCHEDULED, SessionState.OPEN)).update(
        state=SessionState.CANCELLED, cancelled_at=at, cancelled_by=actor, cancel_reason=reason[:32],
        cancelled_late=late)
    if not moved:
        return False
    session.refresh_from_db()
    audit_record(actor=actor, action="session.cancelled", target=session, subject=session.client_id,
                 request=request, detail={"reason": reason[:32], "late": late, "from_state": previous})
    conversation_id = Conversation.objects.filter(client_id=session.client_id, counselor_id=session.counselor_id
                                                  ).values_list("pk", flat=True).first()
    if conversation_id and previous == SessionState.OPEN:
        chat_close_on_commit(conversation_id=conversation_id, reason="session_cancelled")
    return True


def session_cancel(*, session: CounselingSession, actor, reason: str, request=None,
                   at: datetime | None = None) -> CounselingSession:
    """Cancel a scheduled or open session; both parties are told. `reason` is a code, never free text.

    Inside the notice window (SESSION_CANCEL_NOTICE_HOURS) a cancellation still goes through (no one
    is made to attend a session) and is recorded as late.
    """
    at = at or now()
    with transaction.atomic():
        session = CounselingSession.objects.select_for_update().get(pk=session.pk)
        if not _cancel_locked(session=session, actor=actor, reason=reason, at=at, request=request):
            raise BookingError("not_cancellable", _("This session can no longer be cancelled."))
        _session_notify(session=session, event="cancelled")
    return session


def session_reschedule(*, session: CounselingSession, actor, new_starts_at: datetime, request=None,
                       at: datetime | None = None) -> CounselingSession:
    """Move a session to another free slot, in one transaction: the old one is cancelled, a new one booked.

    A client may reschedule only before the notice window; the counselor may at any time.
    """
    at = at or now()
    if actor.pk == session.client_id and session.starts_at - at < timedelta(
            hours=settings.SESSION_CANCEL_NOTICE_HOURS):
        raise BookingError("inside_notice_window", _(
            "Sessions can be rescheduled up to %(hours)s hours before they start. You can still cancel.")
            % {"hours": settings.SESSION_CANCEL_NOTICE_HOURS})
    with transaction.atomic():
        old = CounselingSession.objects.select_for_update().select_related("client", "counselor").get(pk=session.pk)
        if not _cancel_locked(session=old, actor=actor, reason="rescheduled", at=at, request=request):
            raise BookingError("not_cancellable", _("This session can no longer be rescheduled."))
        new = session_book(client=old.client, counselor=old.counselor, starts_at=new_starts_at, request=request,
                           at=at, actor=actor, rescheduled_from=old)
        _session_notify(session=new, event="rescheduled")
    return new


def _move(*, session: CounselingSession, to: str, from_states, actor, request=None, detail=None,
          **fields) -> bool:
    """The one way a session changes state: conditional on the current state, audit-logged once."""
    moved = CounselingSession.objects.filter(pk=session.pk, state__in=from_states).update(state=to, **fields)
    if not moved:
        return False
    previous = session.state
    session.refresh_from_db()
    audit_record(actor=actor, action=f"session.{to}", target=session, subject=session.client_id, request=request,
                 detail={"from_state": previous, **(detail or {})})
    for user_id in (session.client_id, session.counselor_id):
        notify_user_on_commit(user_id=user_id, payload={"kind": "session_state", "session_id": session.pk,
                                                        "state": to})
    return True


def session_open(*, session: CounselingSession, at: datetime | None = None) -> bool:
    """Open the session's chat, from SESSION_OPEN_MINUTES_BEFORE its start. False if not due or already moved."""
    at = at or now()
    if at < session.starts_at - timedelta(minutes=settings.SESSION_OPEN_MINUTES_BEFORE) or at >= session.ends_at:
        return False
    with transaction.atomic():
        return _move(session=session, to=SessionState.OPEN, from_states=[SessionState.SCHEDULED], actor=None,
                     opened_at=at)


def session_start(*, session: CounselingSession, actor, request=None, at: datetime | None = None) -> bool:
    """The session begins (the chat calls this when a participant starts it). Every gate must pass."""
    at = at or now()
    session_open(session=session, at=at)
    session.refresh_from_db()
    if session.state == SessionState.IN_PROGRESS:
        return False
    if session.state != SessionState.OPEN:
        raise BookingError("not_open", _("This session is not open."))
    _refuse_unless(session_start_gate(session=session, at=at))
    with transaction.atomic():
        return _move(session=session, to=SessionState.IN_PROGRESS, from_states=[SessionState.OPEN], actor=actor,
                     request=request, started_at=at)


def session_complete(*, session: CounselingSession, actor, request=None, at: datetime | None = None) -> bool:
    """End a session that took place (the counselor, or the beat job after its planned end)."""
    at = at or now()
    with transaction.atomic():
        done = _move(session=session, to=SessionState.COMPLETED, from_states=[SessionState.IN_PROGRESS],
                     actor=actor, request=request, finished_at=at)
        if done:
            conversation_id = Conversation.objects.filter(client_id=session.client_id, counselor_id=session.counselor_id
                                                          ).values_list("pk", flat=True).first()
            if conversation_id:
                chat_close_on_commit(conversation_id=conversation_id, reason="session_ended")
        return done


def session_mark_no_show(*, session: CounselingSession, actor, request=None, at: datetime | None = None) -> bool:
    """Record that the client did not come: by the counselor from SESSION_NO_SHOW_AFTER_MINUTES after the
    start, or by the beat job once the whole slot passed with nobody starting it."""
    at = at or now()
    if at < session.starts_at + timedelta(minutes=settings.SESSION_NO_SHOW_AFTER_MINUTES):
        raise BookingError("too_early", _("A no-show can be recorded %(minutes)s minutes after the start.")
                           % {"minutes": settings.SESSION_NO_SHOW_AFTER_MINUTES})
    with transaction.atomic():
        return _move(session=session, to=SessionState.NO_SHOW, from_states=[SessionState.SCHEDULED, SessionState.OPEN],
                     actor=actor, request=request, finished_at=at)


def session_advance(*, session: CounselingSession, at: datetime | None = None) -> CounselingSession:
    """Apply the moves that time and chat activity decide. Safe to run twice; used by the beat job and on read.

    An open session whose client has written in its chat is in progress (from their first message):
    the chat's gates already admitted them, so no separate "start" click is needed.
    """
    at = at or now()
    if session.state == SessionState.SCHEDULED:
        session_open(session=session, at=at)
    if session.state == SessionState.OPEN:
        first = (Message.objects.filter(session=session, sender_id=session.client_id).order_by("created_at")
                 .values_list("created_at", flat=True).first())
        if first is not None:
            with transaction.atomic():
                _move(session=session, to=SessionState.IN_PROGRESS, from_states=[SessionState.OPEN], actor=None,
                      started_at=first, detail={"by": "chat_activity"})
    if session.state in (SessionState.SCHEDULED, SessionState.OPEN) and at >= session.ends_at:
        session_mark_no_show(session=session, actor=None, at=at)
    if session.state == SessionState.IN_PROGRESS and at >= session.ends_at + AUTO_COMPLETE_AFTER:
        session_complete(session=session, actor=None, at=at)
    return session


def sessions_advance_due(*, at: datetime | None = None, batch_size: int = 500) -> int:
    """Advance every session whose state time has come; returns how many were looked at."""
    at = at or now()
    opening = Q(state=SessionState.SCHEDULED,
                starts_at__lte=at + timedelta(minutes=settings.SESSION_OPEN_MINUTES_BEFORE))
    overdue = Q(state=SessionState.OPEN, ends_at__lte=at)
    running = Q(state=SessionState.IN_PROGRESS, ends_at__lte=at - AUTO_COMPLETE_AFTER)
    due = list(CounselingSession.objects.filter(opening | overdue | running).order_by("starts_at")[:batch_size])
    client_wrote = Message.objects.filter(session=OuterRef("pk"), sender=OuterRef("client"))
    due += list(CounselingSession.objects.filter(state=SessionState.OPEN).filter(Exists(client_wrote))
                .exclude(pk__in=[s.pk for s in due]).order_by("starts_at")[:batch_size])
    for session in due:
        session_advance(session=session, at=at)
    return len(due)


def sessions_remind_due(*, at: datetime | None = None, batch_size: int = 500) -> int:
    """Send each upcoming session's reminder once (claimed by a conditional update)."""
    at = at or now()
    horizon = at + timedelta(hours=settings.SESSION_REMINDER_HOURS_BEFORE)
    candidates = CounselingSession.objects.filter(
        state=SessionState.SCHEDULED, reminder_sent_at__isnull=True, starts_at__gt=at, starts_at__lte=horizon,
    ).values_list("pk", flat=True)[:batch_size]
    sent = 0
    for session_id in list(candidates):
        with transaction.atomic():
            if CounselingSession.objects.filter(pk=session_id, reminder_sent_at__isnull=True).update(
                    reminder_sent_at=at):
                sent += 1
                session = CounselingSession.objects.get(pk=session_id)
                audit_record(actor=None, action="session.reminder_sent", target=session, subject=session.client_id)
                _session_notify(session=session, event="reminder")
    return sent


def availability_weekly_add(*, counselor, weekday: int, start_time, end_time, request=None) -> WeeklyAvailability:
    with transaction.atomic():
        row = WeeklyAvailability.objects.create(counselor=counselor, weekday=weekday, start_time=start_time,
                                                end_time=end_time)
        audit_record(actor=counselor, action="availability.weekly_added", target=row, request=request,
                     detail={"weekday": weekday, "from": start_time.isoformat(), "until": end_time.isoformat()})
    return row


def availability_exception_add(*, counselor, date, kind: str, start_time=None, end_time=None,
                               request=None) -> AvailabilityException:
    with transaction.atomic():
        row = AvailabilityException.objects.create(counselor=counselor, date=date, kind=kind,
                                                   start_time=start_time, end_time=end_time)
        audit_record(actor=counselor, action="availability.exception_added", target=row, request=request,
                     detail={"date": date.isoformat(), "kind": kind})
    return row


def availability_remove(*, counselor, kind: str, row_id: int, request=None) -> bool:
    """Remove one of the counselor's own weekly rows ("weekly") or exceptions ("exception")."""
    model = WeeklyAvailability if kind == "weekly" else AvailabilityException
    with transaction.atomic():
        row = model.objects.filter(pk=row_id, counselor=counselor).first()
        if row is None:
            return False
        audit_record(actor=counselor, action=f"availability.{kind}_removed", target=row, request=request)
        row.delete()
    return True


def referral_create(*, counselor, client, reason: str, destination: str, request=None) -> Referral:
    """Record a referral to in-person care; sealed under the client's key, kept, and shown to the client."""
    with transaction.atomic():
        referral = Referral(client=client, counselor=counselor, created_at=now())
        referral.reason_sealed = seal(owner_id=client.pk, plaintext=reason, context=referral.reason_context)
        referral.destination_sealed = seal(owner_id=client.pk, plaintext=destination,
                                           context=referral.destination_context)
        referral.save()
        audit_record(actor=counselor, action="referral.created", target=referral, subject=client, request=request)
        notify_user_on_commit(user_id=client.pk, payload={"kind": "referral_created", "referral_id": referral.pk,
                                                          "url": reverse("client_home")})
    return referral
