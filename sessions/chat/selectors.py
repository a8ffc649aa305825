"""Reads of the chat: who may join which conversation, reading messages back, the counselor's
session-start panel."""

import functools
import logging
import uuid
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS
from django.db.models import DEFERRED, Exists, OuterRef, Subquery, prefetch_related_objects
from django.db.models.functions import Coalesce
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from counseling.clock import now
from counseling.crypto import DecryptionError, cached_data_key, data_key_for, open_note, open_text
from counseling.gates import GateResult
from counseling.statements import composed_for
from identity.dialing import dial_link
from identity.numbers import emergency_numbers_for
from identity.selectors import code_word_status, has_code_word, intake_answers, intake_for
from sessions.models import (
    ClientPresence,
    Conversation,
    ConversationCover,
    CounselingSession,
    DropAction,
    Message,
    SessionDrop,
    SessionState,
)
from sessions.selectors import (
    client_zone,
    code_word_advice,
    code_word_gate,
    code_word_result_for,
    conversation_gate,
    counselor_zone,
    session_start_gate,
)

logger = logging.getLogger(__name__)


# --- Chat: who may join which conversation, and reading messages back -----------------------------
# (chat section; the chat's writes are in sessions.services, its socket in sessions.chat.consumers)

CHAT_OPEN_STATES = ("open", "in_progress")
BREAK_GLASS_CACHE_KEY = "chat-break-glass:{admin_id}:{conversation_id}"
HISTORY_PAGE = 200


@dataclass(frozen=True)
class ChatAccess:
    """What one person may do in one conversation socket: who they are there, and in which session."""

    conversation: Conversation
    session: CounselingSession | None
    read_only: bool  # an admin under break-glass reads; never writes, never marks read
    cover: ConversationCover | None = None  # someone picking up for the counselor (crisis.services.cover_pickup)

    @property
    def from_seq(self) -> int:
        """The first message this person may read: a cover reads the recent history only."""
        return self.cover.from_seq if self.cover is not None else 1


def access_conversation(*, user, conversation_id: int) -> Conversation:
    """The conversation if `user` is its client or counselor, else 404."""
    conversation = Conversation.objects.select_related("client", "counselor").filter(pk=conversation_id).first()
    if conversation is None or not user.is_authenticated or not conversation.is_participant(user):
        raise Http404
    return conversation


def break_glass_granted(*, admin_id: int, conversation_id: int) -> bool:
    return bool(cache.get(BREAK_GLASS_CACHE_KEY.format(admin_id=admin_id, conversation_id=conversation_id)))


def _conversation_with_profiles(*, conversation):
    """The conversation with both people's profiles (a counselor's missing client profile included, as "none"): a
    message stored on the socket's event loop needs the counselor's promise, language and the client's pseudonym
    from memory. No ORDER BY (as get()): one row by its primary key."""
    return (
        Conversation.objects.select_related(
            "client__client_profile", "counselor__counselor_profile", "counselor__client_profile"
        )
        .filter(pk=conversation)
        .order_by()
    )


def access_chat(*, user, conversation_id: int, session_id: int | None = None) -> ChatAccess:
    """Fetch and check in one step who may open a chat socket. Outsiders get Http404.

    Participants (client, counselor) read and write; an admin only reads, and only with a live
    break-glass grant (sessions.services.break_glass_open, audit-logged with its reason).
    """
    if user is None or not user.is_authenticated:
        raise Http404
    values = {"conversation": int(conversation_id)}
    found = composed_for(("chat.access_chat",), _conversation_with_profiles, values).instances(values)
    if not found:
        raise Http404
    conversation = found[0]
    read_only = False
    cover = None
    if not conversation.is_participant(user):
        cover = live_cover(user=user, conversation_id=conversation.pk)
        if cover is None:
            if not (user.is_admin and break_glass_granted(admin_id=user.pk, conversation_id=conversation.pk)):
                raise Http404
            read_only = True
        elif session_id is not None:
            raise Http404  # a cover answers between sessions; a session is its two participants'
    session = None
    if session_id is not None:
        session = (
            CounselingSession.objects.select_related("client", "counselor")
            .filter(pk=session_id, client_id=conversation.client_id, counselor_id=conversation.counselor_id)
            .first()
        )
        if session is None:
            raise Http404
    return ChatAccess(conversation=conversation, session=session, read_only=read_only, cover=cover)


def live_cover(*, user, conversation_id: int, at: datetime | None = None) -> ConversationCover | None:
    """`user`'s cover of this conversation that holds now (picked up, not ended, not run out), if any."""
    at = at or now()
    return (
        ConversationCover.objects.filter(
            conversation_id=conversation_id,
            cover_id=user.pk,
            ended_at__isnull=True,
            started_at__lte=at,
            ends_at__gt=at,
        )
        .order_by("-ends_at")
        .first()
    )


def viewer_zone(user) -> zoneinfo.ZoneInfo:
    return client_zone(user) if getattr(user, "client_profile", None) is not None else counselor_zone(user)


def cover_sentence(*, cover: ConversationCover, viewer) -> str:
    """Who answers in the counselor's place, until when and why, as `viewer` reads it (in the active language,
    at the viewer's own clock): the client, their counselor, or the cover."""
    conversation = cover.conversation
    values = {
        "name": cover.cover.display_name,
        "role": cover.get_role_display(),
        "counselor": conversation.counselor.display_name,
        "until": cover.ends_at.astimezone(viewer_zone(viewer)).strftime("%H:%M"),
        "reason": cover.get_reason_display(),
    }
    if viewer.pk == cover.cover_id:
        return (
            _("You are answering for %(counselor)s until %(until)s, because the client's escalation is yours.") % values
        )
    if viewer.pk == conversation.client_id:
        return _("%(name)s, %(role)s, is answering for %(counselor)s until %(until)s, because %(reason)s.") % values
    return (
        _("%(name)s, %(role)s, is answering your client until %(until)s; their messages are in this conversation.")
        % values
    )


def cover_for_frame(*, cover_id: int, conversation: Conversation) -> ConversationCover | None:
    """A cover of this conversation (an event names it by id), with what cover_sentence reads."""
    return (
        ConversationCover.objects.select_related("cover", "conversation__client", "conversation__counselor")
        .filter(pk=cover_id, conversation_id=conversation.pk)
        .first()
    )


def _conversation_covers(*, conversation):
    return ConversationCover.objects.filter(conversation_id=conversation).select_related("cover")


def conversation_covers(*, conversation: Conversation) -> list[ConversationCover]:
    """Every cover of this conversation, oldest first, with what chat_names and cover_sentence read: the cover
    (their profiles read only when there is a cover) and `conversation` itself, not a copy of it joined again."""
    values = {"conversation": conversation.pk}
    covers = sorted(
        composed_for(("chat.conversation_covers",), _conversation_covers, values).instances(values),
        key=lambda cover: (cover.started_at, cover.pk),
    )
    if covers:
        prefetch_related_objects([cover.cover for cover in covers], "client_profile", "counselor_profile")
    for cover in covers:
        cover.conversation = conversation
    return covers


def live_covers(*, covers: list[ConversationCover], at: datetime | None = None) -> list[ConversationCover]:
    """Of a conversation's covers (conversation_covers), those that hold at `at`, the latest picked up first."""
    at = at or now()
    return sorted((cover for cover in covers if cover.live_at(at)), key=lambda cover: cover.started_at, reverse=True)


def chat_names(*, conversation: Conversation, covers: list[ConversationCover] | None = None) -> dict[int, str]:
    """The name over each message: the two people, and every cover who ever answered here
    with what they are ("Dewi (the on-call counselor)"), so a reply always says who wrote it.

    `covers`: conversation_covers' answer, when the caller has just read it."""
    names = {conversation.client_id: conversation.client.display_name}
    names[conversation.counselor_id] = conversation.counselor.display_name
    for cover in conversation_covers(conversation=conversation) if covers is None else covers:
        names[cover.cover_id] = _("%(name)s (%(role)s)") % {
            "name": cover.cover.display_name,
            "role": cover.get_role_display(),
        }
    return names


def conversation_for_session(*, session: CounselingSession) -> Conversation | None:
    return Conversation.objects.filter(client_id=session.client_id, counselor_id=session.counselor_id).first()


def chat_gate(*, access: ChatAccess, at: datetime | None = None) -> GateResult:
    """The gate of one chat socket: the session's start gate for a session chat, else the conversation's.

    A break-glass admin reads without gates (the grant itself is the logged exception).
    """
    if access.read_only:
        return GateResult.ok()
    if access.cover is not None:
        return cover_gate(cover=access.cover, conversation=access.conversation, at=at)
    if access.session is not None:
        if access.session.state not in CHAT_OPEN_STATES:
            return GateResult.refuse(
                "session_not_open",
                _("This session is not open."),
                reverse("sessions:session_detail", args=[access.session.pk]),
            )
        return session_start_gate(session=access.session, at=at)
    return conversation_gate(conversation=access.conversation, at=at)


def cover_gate(*, cover: ConversationCover, conversation: Conversation, at: datetime | None = None) -> GateResult:
    """May this cover write to the client? The conversation's gate with the cover's own licence where the client
    is. A refusal sends them back to the emergency card, where the phone numbers are."""
    gate = conversation_gate(conversation=conversation, at=at, writer=cover.cover)
    if gate:
        return gate
    return GateResult.refuse(
        gate.reason,
        _(
            "You cannot write to this client: %(why)s Act from the emergency card: it has their phone and the "
            "emergency numbers for their place."
        )
        % {"why": gate.counselor_message or gate.message},  # the writer's own licence, as a counselor reads it
        action_url=cover.card_path,
    )


def code_word_prompt_due(*, access: ChatAccess, user) -> bool:
    """Is the client asked for their code word as their socket joins? In a session, until it matched or the
    counselor wrote down why they go on (ACA H.3: at the start of every session, without waiting to be asked)."""
    if access.session is None or access.read_only or user.pk != access.conversation.client_id:
        return False
    return not code_word_status(session=access.session).confirmed


def message_frame(message: Message, *, client_id: int, data_key: bytes | None = None) -> dict:
    """One message as the chat protocol sends it (docs/chat-protocol.md). Decrypts here, in memory only.

    A body that fails to open (moved, altered, or its key shredded) is reported, never shown as text.
    """
    try:
        body = open_text(owner_id=client_id, sealed=message.body_sealed, context=message.aad, data_key=data_key)
        error = ""
    except DecryptionError:
        logger.error("chat message %s of conversation %s could not be decrypted", message.pk, message.conversation_id)
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


@functools.cache
def _message_fields() -> tuple[tuple[str, bool], ...]:
    return tuple((field.attname, field.generated) for field in Message._meta.concrete_fields)


def message_instance(*, values: dict) -> Message:
    """A Message as Message.from_db makes it: `values` by attname, the other columns None and the generated one
    deferred (as Message(...) leaves it). Model.__init__ with keyword arguments costs two to four times as
    much, on the path of every message sent and received (bench/chat_path_profile.py)."""
    message = Message(*[DEFERRED if generated else values.get(name) for name, generated in _message_fields()])
    message._state.adding = False
    message._state.db = DEFAULT_DB_ALIAS  # `connection`'s, without a look-up through its proxy
    return message


def message_frame_at(*, conversation: Conversation, seq: int) -> dict | None:
    message = Message.objects.filter(conversation_id=conversation.pk, seq=seq).first()
    return message_frame(message, client_id=conversation.client_id) if message else None


def message_frame_from_event(*, event: dict, conversation: Conversation) -> dict | None:
    """The frame of a just-stored message built from its `message.new` event, without the database.

    The event carries the body still sealed (sessions.chat.events.message_new_event); it is opened here with
    the client's key if this process holds it (cached_data_key), and bound to this socket's own
    conversation, so an event from elsewhere fails to open. None when the key is not held here or the
    event has no body: the caller reads the message instead (message_frame_at).
    """
    stored = event.get("stored")
    key = cached_data_key(owner_id=conversation.client_id)
    if not stored or key is None:
        return None
    message = message_instance(
        values={
            "conversation_id": conversation.pk,
            "seq": event["seq"],
            "sender_id": stored["sender"],
            "session_id": stored["session"],
            "client_msg_id": uuid.UUID(stored["client_msg_id"]),
            "body_sealed": stored["body_sealed"],
            "created_at": datetime.fromisoformat(stored["created_at"]),
            "reply_due_at": datetime.fromisoformat(stored["reply_due_at"]) if stored["reply_due_at"] else None,
        }
    )
    return message_frame(message, client_id=conversation.client_id, data_key=key)


def chat_key_preload(*, conversation: Conversation) -> None:
    """Hold the client's data key in this process, so new messages open from their events, unread."""
    try:
        data_key_for(owner_id=conversation.client_id, create=False)
    except DecryptionError:  # no key yet, or shredded: message_frame_at reads and reports as usual
        pass


def messages_after(
    *, conversation: Conversation, after_seq: int, limit: int = HISTORY_PAGE, from_seq: int = 1
) -> list[dict]:
    """Up to `limit` messages with seq > after_seq (and from `from_seq` on: ChatAccess.from_seq), oldest first,
    decrypted (resync on reconnect)."""
    after_seq = max(after_seq, from_seq - 1)
    rows = Message.objects.filter(conversation_id=conversation.pk, seq__gt=after_seq).order_by("seq")[:limit]
    return [message_frame(message, client_id=conversation.client_id) for message in rows]


def messages_awaiting_email(*, counselor_id: int | None = None):
    """Clients' messages between sessions still waiting for a reply, unread and not yet counted in an e-mail to
    their counselor (of one counselor, or of all). Only a client's message waits for a reply (awaiting_reply)."""
    rows = Message.objects.filter(
        awaiting_reply=True,
        session__isnull=True,
        read_at__isnull=True,
        counselor_emailed_at__isnull=True,
        conversation__counselor__is_active=True,
    )
    return rows if counselor_id is None else rows.filter(conversation__counselor_id=counselor_id)


def counselor_emailed_since(*, counselor_id: int, since: datetime) -> bool:
    """Was this counselor e-mailed about new messages after `since` (inside the batching window)?"""
    return Message.objects.filter(counselor_emailed_at__gt=since, conversation__counselor_id=counselor_id).exists()


def counselors_to_email_about_messages(*, since: datetime) -> list[int]:
    """Counselors with messages awaiting an e-mail (messages_awaiting_email) and none e-mailed after `since`."""
    emailed = Message.objects.filter(counselor_emailed_at__gt=since).values("conversation__counselor_id")
    return list(
        messages_awaiting_email()
        .exclude(conversation__counselor_id__in=emailed)
        .values_list("conversation__counselor_id", flat=True)
        .distinct()
    )


def replies_due_soon(*, at: datetime, within: timedelta):
    """Clients' messages whose promised reply time runs out after `at` and by `at + within`, still waiting and not
    reminded of yet, soonest first: (id, conversation id) rows. Once it has passed, escalation takes over
    (crisis.services.overdue_replies_open)."""
    return (
        Message.objects.filter(
            awaiting_reply=True, reply_reminded_at__isnull=True, reply_due_at__gt=at, reply_due_at__lte=at + within
        )
        .order_by("reply_due_at")
        .values_list("pk", "conversation_id")
    )


def conversations_of(*, user):
    """The conversations `user` takes part in, newest activity first."""
    field = "client" if user.is_client else "counselor"
    return (
        Conversation.objects.filter(**{field: user})
        .select_related("client__client_profile", "counselor__counselor_profile")
        .order_by("-last_seq", "-created_at")
    )


def transcript_text(
    *, conversation: Conversation, session: CounselingSession | None = None, time_zone: str = "UTC"
) -> str:
    """A plain-text transcript of a conversation (or of one session in it), in the reader's time zone."""
    tz = zoneinfo.ZoneInfo(time_zone)
    names = {
        conversation.client_id: conversation.client.display_name,
        conversation.counselor_id: conversation.counselor.display_name,
    }
    rows = Message.objects.filter(conversation_id=conversation.pk)
    if session is not None:
        rows = rows.filter(session_id=session.pk)
    header = _("Transcript of conversation %(id)s") % {"id": conversation.pk}
    if session is not None:
        header = _("Transcript of session %(id)s") % {"id": session.pk}
    lines = [
        header,
        _("Exported %(at)s (%(tz)s)") % {"at": now().astimezone(tz).strftime("%Y-%m-%d %H:%M"), "tz": time_zone},
        "",
    ]
    for message in rows.order_by("seq").iterator():
        frame = message_frame(message, client_id=conversation.client_id)
        body = frame["body"] if frame["body"] is not None else _("[this message cannot be decrypted]")
        stamp = message.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
        lines.append(f"[{stamp}] #{message.seq} {names.get(message.sender_id, '?')}: {body}")
    return "\n".join(lines) + "\n"


def session_start_panel(*, session: CounselingSession, viewer) -> dict:
    """What the counselor needs at the start of a session, in one place (ACA H.2.a, HHS emergency plan):
    the client's confirmed location, the local emergency numbers, the emergency contact the client
    authorised, and the code-word state (`code_word`: waiting, matched, mismatch, locked or overridden, what
    to do about it, and whether the counselor may write yet; never the word).

    Only the session's counselor may call this; the caller audits the read of the emergency contact.
    """
    if viewer.pk != session.counselor_id:
        raise Http404
    country, region = session.location_country, session.location_region
    panel = {
        "confirmed": session.location_confirmed_at is not None,
        "country": country,
        "region": region,
        "numbers": [],
        "contact": None,
        "contact_authorised": None,
        "code_word_set": None,
        "code_word_result": None,
        "code_word": None,
    }
    panel["numbers"] = emergency_numbers_for(country=country, region=region) if country else []
    intake = intake_for(client=session.client)
    if intake is not None:
        panel["contact_authorised"] = intake.emergency_contact_authorised
        if intake.emergency_contact_authorised:
            try:
                answers = intake_answers(intake)
            except DecryptionError:
                logger.error("intake of client %s could not be decrypted for session %s", session.client_id, session.pk)
                answers = {}
            panel["contact"] = {
                key: answers.get(f"emergency_contact_{key}", "") for key in ("name", "relation", "phone")
            }
    panel["code_word_set"] = has_code_word(client=session.client)
    panel["code_word_result"] = code_word_result_for(session=session, viewer=viewer)
    status = code_word_status(session=session)
    panel["code_word"] = {
        "state": status.state,
        "advice": code_word_advice(status.state),
        "may_write": bool(code_word_gate(session=session)),
    }
    return panel


# --- A client's connection during a session, and when it drops (writes: sessions.chat.drops) ---------------

# An open client socket in a session beats this often (sessions.chat.consumers); one not seen for
# PRESENCE_STALE_SECONDS (two beats missed, and some slack) counts as gone: its server process died unclosed.
PRESENCE_BEAT_SECONDS = 60
PRESENCE_STALE_SECONDS = 150


def sessions_client_away(*, at: datetime, since: datetime):
    """Sessions in progress whose client had a chat socket in them, has none alive at `at`, and was last there at
    or before `since`, with no drop recorded for that absence yet: (session id, away since) rows, oldest first.

    "Last there" is when the newest of their sockets left, or was last seen alive if it never said goodbye."""
    presences = ClientPresence.objects.filter(session=OuterRef("pk"))
    alive = presences.filter(left_at__isnull=True, seen_at__gt=at - timedelta(seconds=PRESENCE_STALE_SECONDS))
    last_there = presences.annotate(last=Coalesce("left_at", "seen_at")).order_by("-last").values("last")[:1]
    recorded = SessionDrop.objects.filter(session=OuterRef("pk"), away_since=OuterRef("away_since"))
    return (
        CounselingSession.objects.filter(state=SessionState.IN_PROGRESS)
        .filter(Exists(presences))
        .exclude(Exists(alive))
        .annotate(away_since=Subquery(last_there))
        .filter(away_since__lte=since)
        .exclude(Exists(recorded))
        .order_by("away_since")
        .values_list("pk", "away_since")
    )


def _clock_time(at: datetime | None, zone) -> str:
    return at.astimezone(zone).strftime("%H:%M") if at else ""


def access_session_drop(*, user, drop_id: int) -> SessionDrop:
    """A dropped session's record if `user` is that session's counselor, else 404 (as for no record)."""
    drop = (
        SessionDrop.objects.select_related("session__client__client_profile", "session__counselor__counselor_profile")
        .filter(pk=drop_id)
        .first()
    )
    if drop is None or not user.is_authenticated or drop.session.counselor_id != user.pk:
        raise Http404
    return drop


def session_drop_panel(*, session: CounselingSession, viewer) -> dict | None:
    """What the counselor needs when their client's connection dropped during this session (the consent's
    "If the technology fails" section): the client's own plan for it, their phone (a dial link), the emergency
    contact they authorised, and each drop with what the counselor recorded (the note opened in memory).
    None when the connection never dropped in this session.

    Only the session's counselor may call this (Http404 for anyone else); the caller audits the read.
    """
    if viewer.pk != session.counselor_id:
        raise Http404
    drops = list(SessionDrop.objects.filter(session=session).select_related("recorded_by"))
    if not drops:
        return None
    panel = {"intake": "missing", "plan": "", "phone": "", "phone_link": "", "contact": None}
    intake = intake_for(client=session.client)
    if intake is not None:
        try:
            answers = intake_answers(intake)
        except (DecryptionError, ValueError):
            logger.error("intake of client %s could not be decrypted for session %s", session.client_id, session.pk)
            panel["intake"] = "unreadable"
        else:
            phone = str(answers.get("phone") or "").strip()
            panel.update(
                intake="ok",
                plan=str(answers.get("connection_drop_plan") or ""),
                phone=phone,
                phone_link=dial_link(number=phone) if phone else "",
            )
            contact_phone = str(answers.get("emergency_contact_phone") or "").strip()
            if intake.emergency_contact_authorised and contact_phone:
                panel["contact"] = {
                    "name": str(answers.get("emergency_contact_name") or ""),
                    "relation": str(answers.get("emergency_contact_relation") or ""),
                    "phone_link": dial_link(number=contact_phone),
                }
    rows = []
    zone = counselor_zone(viewer)
    for drop in drops:
        note = open_note(owner_id=session.client_id, sealed=drop.note_sealed, context=drop.note_aad)
        rows.append(
            {
                "drop": drop,
                "note": note,
                "actions": drop.action_labels(),
                "away_since": _clock_time(drop.away_since, zone),
                "back_at": _clock_time(drop.client_back_at, zone),
                "recorded_at": _clock_time(drop.recorded_at, zone),
            }
        )
    panel.update(
        drops=rows,
        to_record=next((drop for drop in drops if drop.recorded_at is None), None),
        choices=DropAction.choices,
        minutes=settings.CLIENT_RECONNECT_MINUTES,
    )
    return panel


def conversations_client_export(client) -> list[dict]:
    """Every conversation of the client, each message opened, with the name of whoever wrote it (a cover says
    what they are), for the client's own copy of their data (records.services.client_export)."""
    try:
        key = data_key_for(owner_id=client.pk, create=False)
    except DecryptionError:  # no key: nothing was ever sealed for this client (a shredded one is refused before)
        key = None
    rows = []
    for conversation in (
        Conversation.objects.filter(client=client)
        .select_related("client__client_profile", "counselor__counselor_profile")
        .order_by("created_at", "pk")
    ):
        names = chat_names(conversation=conversation)
        messages = []
        for message in Message.objects.filter(conversation_id=conversation.pk).order_by("seq").iterator():
            frame = message_frame(message, client_id=client.pk, data_key=key)
            messages.append(
                {
                    "seq": message.seq,
                    "sent_at": message.created_at.isoformat(),
                    "sender": names.get(message.sender_id, ""),
                    "from_you": message.sender_id == client.pk,
                    "session_id": message.session_id,
                    "body": frame["body"],
                    "unreadable": frame["body"] is None,
                    "read_at": message.read_at.isoformat() if message.read_at else None,
                }
            )
        rows.append(
            {
                "conversation_id": conversation.pk,
                "counselor": conversation.counselor.display_name,
                "started_at": conversation.created_at.isoformat(),
                "messages": messages,
            }
        )
    return rows


def session_drops_client_export(client) -> list[dict]:
    """When the client's connection dropped in a session and what the counselor did. The counselor's note is
    written by staff and not included (docs/client-export.md, "Notes written by staff"): only that there is one."""
    return [
        {
            "session_id": drop.session_id,
            "away_since": drop.away_since.isoformat(),
            "detected_at": drop.detected_at.isoformat(),
            "client_back_at": drop.client_back_at.isoformat() if drop.client_back_at else None,
            "actions": list(drop.actions),
            "recorded_at": drop.recorded_at.isoformat() if drop.recorded_at else None,
            "recorded_by": drop.recorded_by.display_name if drop.recorded_by else None,
            "note_written": bool(drop.note_sealed),
            "note_included": False,
        }
        for drop in SessionDrop.objects.filter(session__client=client)
        .select_related("recorded_by__counselor_profile")
        .order_by("detected_at", "pk")
    ]
