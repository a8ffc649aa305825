"""Reads of the sessions app."""

import logging
import uuid
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.cache import cache
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from consent.selectors import consent_gate
from counseling.clock import now
from counseling.crypto import DecryptionError, cached_data_key, data_key_for, open_text
from counseling.gates import GateResult
from counseling.models import Role, User
from counseling.selectors import identity_gate
from licensing.selectors import client_current_location, jurisdiction_gate
from sessions.models import (
    AvailabilityException,
    Conversation,
    CounselingSession,
    Message,
    Referral,
    SessionState,
    WeeklyAvailability,
)

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
    confirm_url = reverse("intake:session_location", args=[session.pk])
    if session.location_confirmed_at is None:
        return GateResult.refuse("location_unconfirmed", _("Please confirm where you are before the session starts."),
                                 confirm_url)
    if not location_confirmation_current(session=session):
        return GateResult.refuse("location_stale", _(
            "Please confirm again where you are: you last confirmed it more than %(hours)d hours before this "
            "session.") % {"hours": settings.LOCATION_CONFIRMATION_HOURS}, confirm_url)
    return jurisdiction_gate(counselor=session.counselor, country=session.location_country,
                             region=session.location_region, at=at)


def location_confirmation_opens_at(*, session: CounselingSession) -> datetime:
    """From when a location confirmation counts for this session: LOCATION_CONFIRMATION_HOURS before it starts."""
    return session.starts_at - timedelta(hours=settings.LOCATION_CONFIRMATION_HOURS)


def location_confirmation_current(*, session: CounselingSession) -> bool:
    """Does the client's location confirmation count for this session? One made at booking, days ahead, does not."""
    confirmed_at = session.location_confirmed_at
    return confirmed_at is not None and confirmed_at >= location_confirmation_opens_at(session=session)


def location_confirmation_prompt(*, session: CounselingSession, viewer, zone) -> dict | None:
    """What to tell the client of a session whose location is not confirmed for it yet: from when it counts (in
    `zone`) and where to confirm it, so the chat does not meet them with the location gate at the start. None
    for anyone else (the counselor cannot open that page), or when it is confirmed already."""
    if viewer.pk != session.client_id or location_confirmation_current(session=session):
        return None
    return {"opens": location_confirmation_opens_at(session=session).astimezone(zone),
            "path": reverse("intake:session_location", args=[session.pk])}


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


def message_frame(message: Message, *, client_id: int, data_key: bytes | None = None) -> dict:
    """One message as the chat protocol sends it (docs/chat-protocol.md). Decrypts here, in memory only.

    A body that fails to open (moved, altered, or its key shredded) is reported, never shown as text.
    """
    try:
        body = open_text(owner_id=client_id, sealed=message.body_sealed, context=message.aad, data_key=data_key)
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


def message_frame_from_event(*, event: dict, conversation: Conversation) -> dict | None:
    """The frame of a just-stored message built from its `message.new` event, without the database.

    The event carries the body still sealed (sessions.events.message_new_event); it is opened here with
    the client's key if this process holds it (cached_data_key), and bound to this socket's own
    conversation, so an event from elsewhere fails to open. None when the key is not held here or the
    event has no body: the caller reads the message instead (message_frame_at).
    """
    stored = event.get("stored")
    key = cached_data_key(owner_id=conversation.client_id)
    if not stored or key is None:
        return None
    message = Message(conversation_id=conversation.pk, seq=event["seq"], sender_id=stored["sender"],
                      session_id=stored["session"], client_msg_id=uuid.UUID(stored["client_msg_id"]),
                      body_sealed=stored["body_sealed"], created_at=datetime.fromisoformat(stored["created_at"]),
                      reply_due_at=datetime.fromisoformat(stored["reply_due_at"]) if stored["reply_due_at"] else None)
    return message_frame(message, client_id=conversation.client_id, data_key=key)


def chat_key_preload(*, conversation: Conversation) -> None:
    """Hold the client's data key in this process, so new messages open from their events, unread."""
    try:
        data_key_for(owner_id=conversation.client_id, create=False)
    except DecryptionError:  # no key yet, or shredded: message_frame_at reads and reports as usual
        pass


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
def session_start_panel(*, session: CounselingSession, viewer) -> dict:
    """What the counselor needs at the start of a session, in one place (ACA H.2.a, HHS emergency plan):
    the client's confirmed location, the local emergency numbers, the emergency contact the client
    authorised, and the code-word state (match / no match / not asked; never the word).

    Only the session's counselor may call this; the caller audits the read of the emergency contact.
    """
    from counseling import selectors as core

    if viewer.pk != session.counselor_id:
        raise Http404
    country, region = session.location_country, session.location_region
    panel = {"confirmed": session.location_confirmed_at is not None, "country": country, "region": region,
             "numbers": [], "numbers_known": True, "contact": None,
             "contact_authorised": None, "code_word_set": None, "code_word_result": None}
    try:
        panel["numbers"] = list(core.emergency_numbers_for(country=country, region=region)) if country else []
    except (AttributeError, ImportError):
        panel["numbers_known"] = False
    try:
        from counseling import identity_selectors as identity
        from counseling.intake import intake_answers
    except ImportError:
        return panel
    intake = identity.intake_for(client=session.client)
    if intake is not None:
        panel["contact_authorised"] = intake.emergency_contact_authorised
        if intake.emergency_contact_authorised:
            try:
                answers = intake_answers(intake)
            except DecryptionError:
                logger.error("intake of client %s could not be decrypted for session %s", session.client_id,
                             session.pk)
                answers = {}
            panel["contact"] = {key: answers.get(f"emergency_contact_{key}", "")
                                for key in ("name", "relation", "phone")}
    panel["code_word_set"] = identity.has_code_word(client=session.client)
    panel["code_word_result"] = identity.code_word_result_for(session=session, viewer=viewer)
    return panel


# --- end of the chat section ---


# --- Booking and availability (issue 6) -------------------------------------------------------

@dataclass(frozen=True)
class Slot:
    starts_at: datetime  # UTC
    ends_at: datetime


@dataclass(frozen=True)
class Place:
    country: str
    region: str = ""


def _as_place(location) -> Place | None:
    """Accept what the location source returns (an object, a dict or a pair) as a Place."""
    if not location:
        return None
    if isinstance(location, dict):
        country = location.get("country") or location.get("location_country") or ""
        region = location.get("region") or location.get("location_region") or ""
    elif isinstance(location, tuple | list):
        country, region = [*location, ""][:2]
    else:
        country, region = getattr(location, "country", ""), getattr(location, "region", "")
    country = getattr(country, "code", country) or ""
    region = getattr(region, "code", region) or ""
    return Place(str(country).upper(), str(region)) if country else None


def client_place(*, client) -> Place | None:
    """Where the client is now, as the licensing app knows it (it decides jurisdiction)."""
    return _as_place(client_current_location(client=client))


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def counselor_zone(counselor) -> ZoneInfo:
    profile = getattr(counselor, "counselor_profile", None)
    return _zone(profile.time_zone if profile else "UTC")


def client_zone(client) -> ZoneInfo:
    profile = getattr(client, "client_profile", None)
    return _zone(profile.time_zone if profile else "UTC")


def _local_instant(day: date, clock: time, zone: ZoneInfo) -> datetime | None:
    """The UTC instant of a wall-clock time in `zone`, or None if that time does not exist there.

    A wall-clock time inside a spring-forward gap (02:30 in Chicago on the change day) has no
    instant; a time repeated at fall-back is taken at its first occurrence (fold=0).
    """
    local = datetime.combine(day, clock).replace(tzinfo=zone)
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return instant


def _subtract(windows: list[tuple[time, time]], cut: tuple[time, time]) -> list[tuple[time, time]]:
    result = []
    for start, end in windows:
        if cut[1] <= start or cut[0] >= end:
            result.append((start, end))
            continue
        if start < cut[0]:
            result.append((start, cut[0]))
        if cut[1] < end:
            result.append((cut[1], end))
    return result


def availability_windows(*, counselor, day: date, weekly=None, exceptions=None) -> list[tuple[time, time]]:
    """The counselor's working hours on one local date, in their own time zone, exceptions applied."""
    if weekly is None:
        weekly = list(WeeklyAvailability.objects.filter(counselor=counselor))
    if exceptions is None:
        exceptions = list(AvailabilityException.objects.filter(counselor=counselor, date=day))
    windows = [(row.start_time, row.end_time) for row in weekly if row.weekday == day.weekday()]
    for exception in (e for e in exceptions if e.date == day):
        if exception.kind == AvailabilityException.Kind.EXTRA and not exception.whole_day:
            windows.append((exception.start_time, exception.end_time))
    for exception in (e for e in exceptions if e.date == day):
        if exception.kind == AvailabilityException.Kind.OFF:
            windows = [] if exception.whole_day else _subtract(windows, (exception.start_time, exception.end_time))
    return sorted(windows)


def open_slots(*, counselor, start: datetime, end: datetime, at: datetime | None = None) -> list[Slot]:
    """Bookable slots of `counselor` starting in [start, end), as UTC instants, soonest first.

    Slots are laid on a grid from the start of each availability window in the counselor's own
    time zone (every SESSION_SLOT_MINUTES, each SESSION_LENGTH_MINUTES long and inside the window),
    at least BOOKING_MIN_LEAD_HOURS ahead of `at`, and not overlapping a live session.
    """
    at = at or now()
    zone = counselor_zone(counselor)
    length = timedelta(minutes=settings.SESSION_LENGTH_MINUTES)
    step = timedelta(minutes=settings.SESSION_SLOT_MINUTES)
    earliest = max(start, at + timedelta(hours=settings.BOOKING_MIN_LEAD_HOURS))
    first_day = start.astimezone(zone).date() - timedelta(days=1)
    last_day = end.astimezone(zone).date() + timedelta(days=1)
    weekly = list(WeeklyAvailability.objects.filter(counselor=counselor))
    exceptions = list(AvailabilityException.objects.filter(counselor=counselor, date__range=(first_day, last_day)))
    busy = list(CounselingSession.objects.filter(counselor=counselor, starts_at__lt=end + length,
                                                 ends_at__gt=start - length)
                .exclude(state=SessionState.CANCELLED).values_list("starts_at", "ends_at"))
    slots: list[Slot] = []
    day = first_day
    while day <= last_day:
        for window_start, window_end in availability_windows(counselor=counselor, day=day, weekly=weekly,
                                                             exceptions=exceptions):
            cursor = datetime.combine(day, window_start)
            limit = datetime.combine(day, window_end)
            while cursor + length <= limit:
                instant = _local_instant(day, cursor.time(), zone)
                if instant is not None:
                    slot = Slot(instant, instant + length)
                    # A DST change inside the slot can stretch or shrink it: keep the real length.
                    local_end = _local_instant(day, (cursor + length).time(), zone) if (
                        cursor + length).date() == day else None
                    if (local_end is None or local_end - instant == length) and earliest <= instant < end \
                            and not any(s < slot.ends_at and e > slot.starts_at for s, e in busy):
                        slots.append(slot)
                cursor += step
        day += timedelta(days=1)
    return sorted(set(slots), key=lambda slot: slot.starts_at)


def slot_is_offered(*, counselor, starts_at: datetime, at: datetime | None = None) -> bool:
    window_end = starts_at + timedelta(minutes=1)
    return any(slot.starts_at == starts_at
               for slot in open_slots(counselor=counselor, start=starts_at, end=window_end, at=at))


def caseload_client_ids(*, counselor, at: datetime | None = None):
    """Ids of the counselor's active clients: a live session within CASELOAD_ACTIVE_DAYS, or upcoming."""
    at = at or now()
    since = at - timedelta(days=settings.CASELOAD_ACTIVE_DAYS)
    return (CounselingSession.objects.filter(counselor=counselor, starts_at__gte=since)
            .exclude(state=SessionState.CANCELLED).values("client_id").distinct())


def caseload_has_room_for(*, counselor, client, at: datetime | None = None) -> GateResult:
    """At the caseload limit a counselor takes no NEW clients; clients already in the caseload still book."""
    ids = caseload_client_ids(counselor=counselor, at=at)
    if ids.filter(client_id=client.pk).exists():
        return GateResult.ok()
    if ids.count() >= counselor.counselor_profile.caseload_limit:
        return GateResult.refuse("caseload_full", _("This counselor is not taking new clients at the moment. "
                                                    "Please choose another counselor."))
    return GateResult.ok()


def booking_gate(*, client, counselor, starts_at: datetime, at: datetime | None = None) -> GateResult:
    """May `client` book `counselor` for a session at `starts_at`? Calls each gate; re-implements none.

    Consent (ACA H.2.a), verified identity and emergency plan (H.3), the counselor's licence where
    the client is at the session time (H.1.b), then the counselor's caseload limit.
    """
    for result in (consent_gate(client=client, counselor=counselor), identity_gate(client=client)):
        if not result:
            return result
    place = client_place(client=client)
    if place is None:
        return GateResult.refuse("location_unknown", _("Please tell us where you are: it decides which "
                                                       "counselors may counsel you."))
    result = jurisdiction_gate(counselor=counselor, country=place.country, region=place.region, at=starts_at)
    if not result:
        return result
    return caseload_has_room_for(counselor=counselor, client=client, at=at)


def bookable_counselors(*, client, at: datetime | None = None):
    """Active counselors, with whether each has room for this client (the gates run on booking)."""
    counselors = list(User.objects.filter(role=Role.COUNSELOR, is_active=True, counselor_profile__isnull=False)
                      .select_related("counselor_profile").order_by("counselor_profile__display_name"))
    return [(counselor, caseload_has_room_for(counselor=counselor, client=client, at=at)) for counselor in counselors]


def client_sessions(*, client, at: datetime | None = None) -> tuple[list, list]:
    """(upcoming, past) sessions of a client, with their counselors."""
    at = at or now()
    rows = list(CounselingSession.objects.filter(client=client)
                .select_related("counselor", "counselor__counselor_profile").order_by("starts_at"))
    live = {SessionState.SCHEDULED, SessionState.OPEN, SessionState.IN_PROGRESS}
    upcoming = [s for s in rows if s.state in live and s.ends_at > at]
    past = [s for s in reversed(rows) if s not in upcoming]
    return upcoming, past


def client_referrals(*, client):
    return Referral.objects.filter(client=client).select_related("counselor", "counselor__counselor_profile")


def referral_text(*, referral: Referral) -> tuple[str, str]:
    """(reason, destination) opened under the client's data key; raises DecryptionError if unreadable."""
    reason = open_text(owner_id=referral.client_id, sealed=referral.reason_sealed, context=referral.reason_context)
    where = open_text(owner_id=referral.client_id, sealed=referral.destination_sealed,
                      context=referral.destination_context)
    return reason, where


def reply_due_at_for(*, counselor, sent_at: datetime) -> datetime:
    """When a client's message sent at `sent_at` must be answered, by the counselor's response-time promise."""
    hours = counselor.counselor_profile.response_time_promise_hours
    return sent_at + timedelta(hours=hours)


def session_times(*, session: CounselingSession, viewer) -> dict:
    """The session's start and end in the viewer's zone and in the other party's, both labelled."""
    client_tz = _zone(session.client_time_zone) if session.client_time_zone else client_zone(session.client)
    counselor_tz = _zone(session.counselor_time_zone) if session.counselor_time_zone else counselor_zone(
        session.counselor)
    mine, theirs = (client_tz, counselor_tz) if viewer.pk == session.client_id else (counselor_tz, client_tz)
    return {
        "mine_start": session.starts_at.astimezone(mine), "mine_end": session.ends_at.astimezone(mine),
        "mine_zone": mine.key,
        "theirs_start": session.starts_at.astimezone(theirs), "theirs_end": session.ends_at.astimezone(theirs),
        "theirs_zone": theirs.key,
        "same_zone": mine.key == theirs.key,
    }


def can_cancel(*, session: CounselingSession) -> bool:
    return session.state in (SessionState.SCHEDULED, SessionState.OPEN)


def inside_notice_window(*, session: CounselingSession, at: datetime | None = None) -> bool:
    at = at or now()
    return session.starts_at - at < timedelta(hours=settings.SESSION_CANCEL_NOTICE_HOURS)


def access_client_session(*, user, session_id: int) -> CounselingSession:
    """The session if `user` is its client; everyone else gets 404."""
    session = access_session(user=user, session_id=session_id)
    if session.client_id != user.pk:
        raise Http404
    return session


def access_caseload_client(*, user, client_id: int):
    """A client of `user`'s caseload (any session ever booked with them, or a conversation), else 404."""
    if not getattr(user, "is_counselor", False):
        raise Http404
    client = User.objects.filter(pk=client_id, role=Role.CLIENT).select_related("client_profile").first()
    if client is None or not CounselingSession.objects.filter(counselor=user, client=client).exists():
        raise Http404
    return client
