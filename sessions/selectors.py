"""Reads of the sessions app."""

import logging
import zoneinfo
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.http import Http404
from django.utils.translation import gettext as _

from consent.selectors import consent_gate
from counseling.clock import now
from counseling.crypto import DecryptionError, open_text
from counseling.gates import GateResult
from counseling.selectors import identity_gate
from licensing.selectors import jurisdiction_gate
from sessions.models import Conversation, CounselingSession, Message

logger = logging.getLogger(__name__)


def access_session(*, user, session_id: int) -> CounselingSession:
    """The session if `user` takes part in it, else 404 (never reveal that it exists)."""
    session = CounselingSession.objects.select_related("client", "counselor").filter(pk=session_id).first()
    if session is None or not session.is_participant(user):
        raise Http404
    return session


def session_start_gate(*, session: CounselingSession, at: datetime | None = None) -> GateResult:
    """May this session start (or its chat open) now? Every check in one place, in this order."""
    at = at or now()
    for result in (
        consent_gate(client=session.client, counselor=session.counselor),
        identity_gate(client=session.client),
    ):
        if not result:
            return result
    if session.location_confirmed_at is None:
        return GateResult.refuse("location_unconfirmed", _("Please confirm where you are before the session starts."))
    return jurisdiction_gate(counselor=session.counselor, country=session.location_country,
                             region=session.location_region, at=at)


# --- Chat: who may join which conversation, and reading messages back -----------------------------
# (chat section; the chat's writes are in sessions.services, its socket in sessions.consumers)

CHAT_OPEN_STATES = ("open", "in_progress")
BREAK_GLASS_CACHE_KEY = "chat-break-glass:{admin_id}:{conversation_id}"
HISTORY_PAGE = 200


@dataclass(frozen=True)
class ChatAccess:
    """What one person may do in one conversation socket: who they are there, and in which session."""

    conversation: Conversation
    session: CounselingSession | None
    read_only: bool  # an admin under break-glass reads; never writes, never marks read


def access_conversation(*, user, conversation_id: int) -> Conversation:
    """The conversation if `user` is its client or counselor, else 404."""
    conversation = Conversation.objects.select_related("client", "counselor").filter(pk=conversation_id).first()
    if conversation is None or not user.is_authenticated or not conversation.is_participant(user):
        raise Http404
    return conversation


def break_glass_granted(*, admin_id: int, conversation_id: int) -> bool:
    return bool(cache.get(BREAK_GLASS_CACHE_KEY.format(admin_id=admin_id, conversation_id=conversation_id)))


def access_chat(*, user, conversation_id: int, session_id: int | None = None) -> ChatAccess:
    """Fetch and check in one step who may open a chat socket. Outsiders get Http404.

    Participants (client, counselor) read and write; an admin only reads, and only with a live
    break-glass grant (sessions.services.break_glass_open, audit-logged with its reason).
    """
    if user is None or not user.is_authenticated:
        raise Http404
    conversation = Conversation.objects.select_related(
        "client", "counselor", "counselor__counselor_profile").filter(pk=conversation_id).first()
    if conversation is None:
        raise Http404
    read_only = False
    if not conversation.is_participant(user):
        if not (user.is_admin and break_glass_granted(admin_id=user.pk, conversation_id=conversation.pk)):
            raise Http404
        read_only = True
    session = None
    if session_id is not None:
        session = CounselingSession.objects.select_related("client", "counselor").filter(
            pk=session_id, client_id=conversation.client_id, counselor_id=conversation.counselor_id).first()
        if session is None:
            raise Http404
    return ChatAccess(conversation=conversation, session=session, read_only=read_only)


def conversation_for_session(*, session: CounselingSession) -> Conversation | None:
    return Conversation.objects.filter(client_id=session.client_id, counselor_id=session.counselor_id).first()


def client_last_confirmed_location(*, client) -> tuple[str, str] | None:
    """(country, region) the client last confirmed before a session, or None."""
    latest = (CounselingSession.objects.filter(client=client, location_confirmed_at__isnull=False)
              .order_by("-location_confirmed_at").values_list("location_country", "location_region").first())
    return tuple(latest) if latest else None


def conversation_gate(*, conversation: Conversation, at: datetime | None = None) -> GateResult:
    """May these two exchange messages between sessions? Consent, identity, and the counselor's
    licence where the client last confirmed being (ACA H.1.b: counseling happens where the client is)."""
    at = at or now()
    for result in (
        consent_gate(client=conversation.client, counselor=conversation.counselor),
        identity_gate(client=conversation.client),
    ):
        if not result:
            return result
    location = client_last_confirmed_location(client=conversation.client)
    if location is None:
        return GateResult.refuse("location_unconfirmed", _("Please confirm where you are before the session starts."))
    return jurisdiction_gate(counselor=conversation.counselor, country=location[0], region=location[1], at=at)


def chat_gate(*, access: ChatAccess, at: datetime | None = None) -> GateResult:
    """The gate of one chat socket: the session's start gate for a session chat, else the conversation's.

    A break-glass admin reads without gates (the grant itself is the logged exception).
    """
    if access.read_only:
        return GateResult.ok()
    if access.session is not None:
        if access.session.state not in CHAT_OPEN_STATES:
            return GateResult.refuse("session_not_open", _("This session is not open."))
        return session_start_gate(session=access.session, at=at)
    return conversation_gate(conversation=access.conversation, at=at)


def message_frame(message: Message, *, client_id: int) -> dict:
    """One message as the chat protocol sends it (docs/chat-protocol.md). Decrypts here, in memory only.

    A body that fails to open (moved, altered, or its key shredded) is reported, never shown as text.
    """
    try:
        body = open_text(owner_id=client_id, sealed=message.body_sealed, context=message.aad)
        error = ""
    except DecryptionError:
        logger.error("chat message %s of conversation %s could not be decrypted",
                     message.pk, message.conversation_id)
        body, error = None, "undecryptable"
    frame = {
        "type": "message",
        "seq": message.seq,
        "client_msg_id": str(message.client_msg_id),
        "sender": message.sender_id,
        "from_client": message.sender_id == client_id,
        "session": message.session_id,
        "body": body,
        "created_at": message.created_at.isoformat(),
        "read": message.read_at is not None,
        "reply_due_at": message.reply_due_at.isoformat() if message.reply_due_at else None,
        "answered": message.answered_at is not None,
    }
    if error:
        frame["error"] = error
    return frame


def message_frame_at(*, conversation: Conversation, seq: int) -> dict | None:
    message = Message.objects.filter(conversation_id=conversation.pk, seq=seq).first()
    return message_frame(message, client_id=conversation.client_id) if message else None


def messages_after(*, conversation: Conversation, after_seq: int, limit: int = HISTORY_PAGE) -> list[dict]:
    """Up to `limit` messages with seq > after_seq, oldest first, decrypted (resync on reconnect)."""
    rows = Message.objects.filter(conversation_id=conversation.pk, seq__gt=after_seq).order_by("seq")[:limit]
    return [message_frame(message, client_id=conversation.client_id) for message in rows]


def conversations_of(*, user):
    """The conversations `user` takes part in, newest activity first."""
    field = "client" if user.is_client else "counselor"
    return (Conversation.objects.filter(**{field: user}).select_related("client__client_profile",
                                                                        "counselor__counselor_profile")
            .order_by("-last_seq", "-created_at"))


def transcript_text(*, conversation: Conversation, session: CounselingSession | None = None,
                    time_zone: str = "UTC") -> str:
    """A plain-text transcript of a conversation (or of one session in it), in the reader's time zone."""
    tz = zoneinfo.ZoneInfo(time_zone)
    names = {conversation.client_id: conversation.client.display_name,
             conversation.counselor_id: conversation.counselor.display_name}
    rows = Message.objects.filter(conversation_id=conversation.pk)
    if session is not None:
        rows = rows.filter(session_id=session.pk)
    header = _("Transcript of conversation %(id)s") % {"id": conversation.pk}
    if session is not None:
        header = _("Transcript of session %(id)s") % {"id": session.pk}
    lines = [header, _("Exported %(at)s (%(tz)s)") % {"at": now().astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                                                      "tz": time_zone}, ""]
    for message in rows.order_by("seq").iterator():
        frame = message_frame(message, client_id=conversation.client_id)
        body = frame["body"] if frame["body"] is not None else _("[this message cannot be decrypted]")
        stamp = message.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
        lines.append(f"[{stamp}] #{message.seq} {names.get(message.sender_id, '?')}: {body}")
    return "\n".join(lines) + "\n"
# --- end of the chat section ---
