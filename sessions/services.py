"""Writes of the sessions app: booking, state moves, chat messages. State moves happen only here."""

import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils.translation import gettext as _

from counseling.audit import audit_record
from counseling.clock import now
from counseling.crypto import seal
from sessions.events import conversation_event_on_commit
from sessions.models import Conversation, CounselingSession, Message
from sessions.selectors import BREAK_GLASS_CACHE_KEY, transcript_text
from sessions.signals import client_help_requested, client_message_stored


# --- Chat: storing messages, receipts, exports, break-glass -----------------------------------------
# The database is the mailbox, Redis only the doorbell (docs/chat-protocol.md): a message is
# committed, sealed under the client's data key, before anyone is told; events carry ids only.

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


def chat_rate_allows(*, user_id: int, limit: int | None = None, window_seconds: int | None = None) -> bool:
    """Count one message for `user_id` in a fixed window shared by all their sockets and processes (cache)."""
    limit = limit or settings.CHAT_RATE_LIMIT
    window_seconds = window_seconds or settings.CHAT_RATE_WINDOW_SECONDS
    key = f"chat-rate:{user_id}:{int(time.time() // window_seconds)}"
    cache.add(key, 0, timeout=window_seconds * 2)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window_seconds * 2)
        count = 1
    return count <= limit


def message_post(*, conversation: Conversation, sender, client_msg_id: uuid.UUID | str, body: str,
                 session: CounselingSession | None = None, origin: str = "") -> tuple[Message, bool]:
    """Store one message, sealed, and return (message, created). Idempotent on `client_msg_id`.

    Preconditions: the caller checked access and the chat gate (sessions.selectors.access_chat,
    chat_gate). The sequence number is allocated under the Conversation row lock (PostgreSQL
    select_for_update; SQLite's BEGIN IMMEDIATE serialises writers), so concurrent senders in any
    process get distinct, gap-free numbers. `origin` is the sending socket's channel name, so that
    socket is not sent its own message again.
    """
    if not isinstance(body, str) or not body.strip():
        raise ChatError("empty", _("A message cannot be empty."))
    if len(body) > CHAT_MESSAGE_MAX_CHARS:
        raise ChatError("too_large", _("A message can be at most %(n)s characters.") % {"n": CHAT_MESSAGE_MAX_CHARS})
    client_msg_id = uuid.UUID(str(client_msg_id))
    with transaction.atomic():
        locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
        existing = Message.objects.filter(conversation_id=locked.pk, client_msg_id=client_msg_id).first()
        if existing is not None:
            if existing.sender_id != sender.pk:
                raise ChatError("conflict", _("This message id is already taken."))
            return existing, False
        seq = locked.last_seq + 1
        Conversation.objects.filter(pk=locked.pk).update(last_seq=seq)
        at = now()
        message = Message(conversation=locked, session=session, seq=seq, sender=sender,
                          client_msg_id=client_msg_id, created_at=at)
        message.body_sealed = seal(owner_id=locked.client_id, plaintext=body, context=message.aad)
        from_client = sender.pk == locked.client_id
        if from_client:
            profile = getattr(locked.counselor, "counselor_profile", None)
            hours = profile.response_time_promise_hours if profile else 24
            message.reply_due_at = at + timedelta(hours=hours)
        message.save(force_insert=True)
        if not from_client:
            # A counselor's reply answers every earlier client message still waiting.
            Message.objects.filter(conversation_id=locked.pk, sender_id=locked.client_id, seq__lt=seq,
                                   answered_at__isnull=True).update(answered_at=at)
        conversation_event_on_commit(conversation_id=locked.pk,
                                     event={"type": "message.new", "seq": seq, "origin": origin})
        if from_client:
            message_id = message.pk
            transaction.on_commit(lambda: client_message_stored.send(sender=Message, message_id=message_id))
    conversation.last_seq = seq
    return message, True


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
