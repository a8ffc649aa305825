"""Reads of the sessions app."""

import logging
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Q, Subquery
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from consent.selectors import consent_gate
from counseling.clock import now
from counseling.crypto import DecryptionError, open_text
from counseling.email_verification import email_verified_gate
from counseling.gates import GateResult
from counseling.models import ClientProfile, Role, User
from counseling.statements import composed_for
from identity.models import CodeWordCheck
from identity.selectors import (
    UNREAD,
    code_word_status,
    identity_gate,
    intake_answers,
    intake_for,
    intake_for_gate,
    intake_place,
)
from licensing.selectors import jurisdiction_gate
from sessions.models import (
    AvailabilityException,
    ClientAcceptance,
    Conversation,
    ConversationCover,
    CounselingSession,
    Message,
    Referral,
    SessionRequest,
    SessionSeries,
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


def medium_changeable(*, session: CounselingSession, at: datetime | None = None) -> bool:
    """May the way the session is held still be changed? Until its start (sessions.services.session_medium_change)."""
    return session.state in (SessionState.SCHEDULED, SessionState.OPEN) and (at or now()) < session.starts_at


def session_start_gate(
    *,
    session: CounselingSession,
    at: datetime | None = None,
    identity: GateResult | None = None,
    consent: GateResult | None = None,
) -> GateResult:
    """May this session start (or its chat open) now? Every check in one place, in this order.

    `identity`: identity_gate's answer for the session's client, when the caller has just asked it; `consent`:
    consent_gate's for the session's client and counselor, likewise."""
    at = at or now()
    for result in (
        consent if consent is not None else consent_gate(client=session.client, counselor=session.counselor),
        identity if identity is not None else identity_gate(client=session.client, counselor=session.counselor),
    ):
        if not result:
            return result
    confirm_url = reverse("sessions:session_location", args=[session.pk])
    if session.location_confirmed_at is None:
        return GateResult.refuse(
            "location_unconfirmed", _("Please confirm where you are before the session starts."), confirm_url
        )
    if not location_confirmation_current(session=session):
        return GateResult.refuse(
            "location_stale",
            _(
                "Please confirm again where you are: you last confirmed it more than %(hours)d hours before this "
                "session."
            )
            % {"hours": settings.LOCATION_CONFIRMATION_HOURS},
            confirm_url,
        )
    return jurisdiction_gate(
        counselor=session.counselor, country=session.location_country, region=session.location_region, at=at
    )


def conversation_gate(*, conversation: Conversation, at: datetime | None = None, writer=None) -> GateResult:
    """May these two exchange messages between sessions? Consent, identity, and the counselor's
    licence where the client last confirmed being (ACA H.1.b: counseling happens where the client is).

    `writer`: a counselor answering in the conversation's counselor's place (a cover, sessions.models.
    ConversationCover); the client's consent with their own counselor covers it (the consent text tells them
    an on-call counselor picks up), but the licence checked is the writer's own.
    """
    at = at or now()
    consent = consent_gate(client=conversation.client, counselor=conversation.counselor)
    if not consent:
        return consent
    # Read once: the identity gate's facts, and the usual place (when no session's place was confirmed).
    intake = intake_for_gate(client=conversation.client)
    identity = identity_gate(client=conversation.client, counselor=conversation.counselor, intake=intake)
    if not identity:
        return identity
    place = client_location(client=conversation.client, intake=intake)
    if place is None or not place.confirmed:
        return GateResult.refuse(
            "location_unconfirmed",
            _("Please confirm where you are before the session starts."),
            location_confirmation_url(client=conversation.client),
        )
    counselor = writer or conversation.counselor
    return jurisdiction_gate(counselor=counselor, country=place.country, region=place.region, at=at)


def location_confirmation_url(*, client) -> str:
    """Where the client confirms where they are: for their next session still to come; without one, booking one
    (a place is confirmed per session, ACA H.1.b)."""
    session_id = (
        CounselingSession.objects.filter(
            client=client, ends_at__gt=now(), state__in=[SessionState.SCHEDULED, SessionState.OPEN]
        )
        .order_by("starts_at")
        .values_list("pk", flat=True)
        .first()
    )
    if session_id is None:
        return reverse("sessions:booking_counselors")
    return reverse("sessions:session_location", args=[session_id])


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
    return {
        "opens": location_confirmation_opens_at(session=session).astimezone(zone),
        "path": reverse("sessions:session_location", args=[session.pk]),
    }


# --- Booking and availability -------------------------------------------------------


@dataclass(frozen=True)
class Slot:
    starts_at: datetime  # UTC
    ends_at: datetime


class _WeeklyHours(NamedTuple):
    """What availability_windows reads of a WeeklyAvailability row: next_free_slots reads them as plain values
    for a whole directory page (some 100 rows), where a model instance each is most of the cost."""

    weekday: int
    start_time: time
    end_time: time


class _DayException(NamedTuple):
    """What availability_windows reads of an AvailabilityException row (open_slots reads them as plain values)."""

    date: date
    kind: str
    start_time: time | None
    end_time: time | None

    whole_day = property(AvailabilityException.whole_day.fget)  # the model's own rule, read on these values


@dataclass(frozen=True)
class Place:
    country: str
    region: str = ""
    # Confirmed by the client for a session; False for the usual place their intake gives.
    confirmed: bool = False


def _latest_confirmed_place(*, client):
    """(country, region) of the client's sessions whose place they confirmed, the latest confirmed first."""
    return (
        CounselingSession.objects.filter(client_id=client, location_confirmed_at__isnull=False)
        .exclude(location_country="")
        .order_by("-location_confirmed_at")
        .values_list("location_country", "location_region")
    )


def client_location(
    *, client, session: CounselingSession | None = None, sessions: list | None = None, intake=UNREAD
) -> Place | None:
    """Where is this client for this session? The one answer every app uses: the place decides the law
    that applies, the licence the counselor needs there and the emergency numbers shown (ACA H.1.b:
    counseling takes place where the client is).

    1. the place the client confirmed for this session;
    2. else the place they last confirmed for any session;
    3. else their usual place from the intake (not confirmed);
    None when nothing is known.

    `sessions`: all the client's sessions, when the caller has just read them (step 2 looks in them);
    `intake`: the client's intake or None, when the caller has just read it (step 3 opens it).
    """
    if session is not None and session.location_confirmed_at and session.location_country:
        return Place(session.location_country, session.location_region, confirmed=True)
    if sessions is not None:
        confirmed = [s for s in sessions if s.location_confirmed_at is not None and s.location_country != ""]
        latest_session = max(confirmed, key=lambda s: s.location_confirmed_at, default=None)
        latest = (latest_session.location_country, latest_session.location_region) if latest_session else None
    else:
        # The booking and chat gates ask it on every load: composed once per process (counseling.statements).
        values = {"client": client.pk}
        rows = composed_for(("sessions.latest_confirmed_place",), _latest_confirmed_place, values).tuples(
            values, high=1
        )
        latest = rows[0] if rows else None
    if latest:
        return Place(latest[0], latest[1], confirmed=True)
    country, region = intake_place(client=client, intake=intake)
    return Place(country, region) if country else None


def located_session(*, client, session: CounselingSession | None = None) -> CounselingSession | None:
    """The session whose confirmed place `client_location` gives (its steps 1 and 2), or None when it gives
    the intake's usual place or nothing: where a place shown next to it was confirmed, when, and with
    which landmark."""
    if session is not None and session.location_confirmed_at and session.location_country:
        return session
    return (
        CounselingSession.objects.filter(client=client, location_confirmed_at__isnull=False)
        .exclude(location_country="")
        .order_by("-location_confirmed_at")
        .first()
    )


def session_landmark(*, session: CounselingSession) -> str:
    """The address or landmark the client gave with this session's location, opened in memory; "" if none.

    Raises DecryptionError if it cannot be opened. Staff read it only on the emergency card, which audits it.
    """
    return open_text(owner_id=session.client_id, sealed=session.location_landmark_sealed, context=session.landmark_aad)


def clients_of_counselor(*, counselor) -> list[int]:
    """Ids of clients with a relationship to this counselor: a conversation or a booking not cancelled."""
    ids: set[int] = set(Conversation.objects.filter(counselor=counselor).values_list("client_id", flat=True))
    ids.update(
        CounselingSession.objects.filter(counselor=counselor)
        .exclude(state=SessionState.CANCELLED)
        .values_list("client_id", flat=True)
    )
    return sorted(ids)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def counselor_zone(counselor) -> ZoneInfo:
    profile = getattr(counselor, "counselor_profile", None)
    return _zone(profile.time_zone if profile else "UTC")


def client_zone(client, *, time_zone=UNREAD) -> ZoneInfo:
    """`time_zone`: the client's profile's, or None when they have none, when the caller read it with another
    query (client_time_zone_read)."""
    if time_zone is UNREAD:
        profile = getattr(client, "client_profile", None)
        time_zone = profile.time_zone if profile else None
    return _zone(time_zone or "UTC")


def client_time_zone_read(client) -> Subquery:
    """The client's profile's time zone (None without a profile), to annotate on a page's other query: what
    client_zone reads, without a query of its own."""
    return _client_time_zone_of(client.pk)


def _client_time_zone_of(client_id: int) -> Subquery:
    return Subquery(ClientProfile.objects.filter(user_id=client_id).values("time_zone")[:1])


def _bookable_counselor(*, counselor: int, client: int):
    return (
        User.objects.filter(pk=counselor, role=Role.COUNSELOR, is_active=True, counselor_profile__isnull=False)
        .select_related("counselor_profile")
        .annotate(client_time_zone=_client_time_zone_of(client))
        .order_by()  # as .get() asks
    )


def bookable_counselor(*, counselor_id: int, client) -> User | None:
    """The active counselor with a profile, with the client's time zone as `client_time_zone` (client_zone's
    `time_zone`), or None. Its statement is composed once per process (counseling.statements)."""
    low, high = connection.ops.integer_field_range(User._meta.pk.get_internal_type())
    if not low <= counselor_id <= high:
        return None  # an id no row has (from the address): the ORM's lookup asks the database nothing either
    values = {"counselor": counselor_id, "client": client.pk}
    rows = composed_for(("sessions.bookable_counselor",), _bookable_counselor, values).instances(values)
    return rows[0] if rows else None  # by its primary key: one at most


def _local_instant(day: date, clock: time, zone: ZoneInfo) -> datetime | None:
    """The UTC instant of a wall-clock time in `zone`, or None if that time does not exist there.

    A wall-clock time inside a spring-forward gap (02:30 in Chicago on the change day) has no
    instant; a time repeated at fall-back is taken at its first occurrence (fold=0).
    """
    instant = datetime.combine(day, clock, zone).astimezone(UTC)
    back = instant.astimezone(zone)  # the wall clock that instant shows: another one if `clock` does not exist
    if back.time() != clock or back.date() != day:
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


def open_slots(
    *, counselor, start: datetime, end: datetime, at: datetime | None = None, first_only: bool = False, known=None
) -> list[Slot]:
    """Bookable slots of `counselor` starting in [start, end), as UTC instants, soonest first.

    Slots are laid on a grid from the start of each availability window in the counselor's own
    time zone (every SESSION_SLOT_MINUTES, each SESSION_LENGTH_MINUTES long and inside the window),
    at least BOOKING_MIN_LEAD_HOURS ahead of `at`, and not overlapping a live session.
    `first_only`: only the soonest (stops at the first local day that has one, and the day after it).
    `known`: (weekly hours, exceptions, busy (start, end) pairs) already read for this counselor and span.
    """
    at = at or now()
    zone = counselor_zone(counselor)
    length = timedelta(minutes=settings.SESSION_LENGTH_MINUTES)
    step = timedelta(minutes=settings.SESSION_SLOT_MINUTES)
    earliest = max(start, at + timedelta(hours=settings.BOOKING_MIN_LEAD_HOURS))
    first_day = start.astimezone(zone).date() - timedelta(days=1)
    last_day = end.astimezone(zone).date() + timedelta(days=1)
    if known is not None:
        weekly, exceptions, busy = known
    else:
        calendars = _calendars_of(
            ids=[counselor.pk],
            first_day=first_day,
            last_day=last_day,
            starts_before=end + length,
            ends_after=start - length,
        )
        weekly, exceptions, busy = (by_counselor[counselor.pk] for by_counselor in calendars)
    # A slot overlaps a busy time when one that starts before the slot ends ends after it starts: with the busy
    # times by start, the latest end among those starting before the slot's end decides (one bisection a slot).
    busy = sorted(busy)
    busy_starts = [start for start, _end in busy]
    latest_end = list(accumulate((end for _start, end in busy), max))
    slots: list[Slot] = []
    found_on = None
    soonest = None  # first_only: the soonest start found so far
    # Every wall-clock time of a local date falls within a day of that date's midnight read as UTC (offsets are
    # within -12h and +14h): a date whose every slot starts before `earliest` (the day before `start`, most of
    # its first day) is skipped without laying its slots out, and the dates whose every slot starts at `end` or
    # later end the loop.
    naive_earliest = earliest.astimezone(UTC).replace(tzinfo=None)
    naive_end = end.astimezone(UTC).replace(tzinfo=None)
    day = first_day
    while day <= last_day:
        if first_only and found_on is not None and day > found_on + timedelta(days=1):
            break  # a later local day starts later (the day after is looked at too, for a DST change at night)
        if first_only and slots and found_on is None:
            found_on = day - timedelta(days=1)
        if datetime.combine(day, time.min) - timedelta(days=1) >= naive_end:
            break
        if datetime.combine(day, time.min) + timedelta(days=2) <= naive_earliest:
            day += timedelta(days=1)
            continue
        for window_start, window_end in availability_windows(
            counselor=counselor, day=day, weekly=weekly, exceptions=exceptions
        ):
            cursor = datetime.combine(day, window_start)
            limit = datetime.combine(day, window_end)
            while cursor + length <= limit:
                instant = _local_instant(day, cursor.time(), zone)
                if first_only and soonest is not None and instant is not None and instant >= soonest:
                    # In a window a later wall-clock time is a later instant (fold=0, gaps skipped): none sooner.
                    break
                if instant is not None and earliest <= instant < end:
                    slot = Slot(instant, instant + length)
                    # A DST change inside the slot can stretch or shrink it: keep the real length.
                    local_end = (
                        _local_instant(day, (cursor + length).time(), zone) if (cursor + length).date() == day else None
                    )
                    if local_end is None or local_end - instant == length:
                        before_end = bisect_left(busy_starts, slot.ends_at)
                        if not before_end or latest_end[before_end - 1] <= slot.starts_at:
                            slots.append(slot)
                            if first_only:
                                soonest = instant
                                break
                cursor += step
        day += timedelta(days=1)
    slots = sorted(set(slots), key=lambda slot: slot.starts_at)
    return slots[:1] if first_only else slots


def _calendars_of(
    *, ids: list[int], first_day: date, last_day: date, starts_before: datetime, ends_after: datetime
) -> tuple[dict, dict, dict]:
    """({counselor id: weekly hours}, {id: exceptions from first_day to last_day}, {id: (start, end) of each live
    session starting before `starts_before` and ending after `ends_after`}), in three queries whatever the number
    of counselors. As plain values, in no order: open_slots sorts what it uses, and the models' default orders and
    instances cost more than these small reads. Their statements are composed once per process and number of
    counselors (counseling.statements); no counselors, no statement (as the ORM makes none for an empty list)."""
    weekly, exceptions, busy = defaultdict(list), defaultdict(list), defaultdict(list)
    if not ids:
        return weekly, exceptions, busy
    values = {"counselors": ids}
    for counselor_id, *row in composed_for(("sessions.free_hours",), _hours_of, values).tuples(values):
        weekly[counselor_id].append(_WeeklyHours(*row))
    values = {"counselors": ids, "first_day": first_day, "last_day": last_day}
    for counselor_id, *row in composed_for(("sessions.free_exceptions",), _exceptions_of, values).tuples(values):
        exceptions[counselor_id].append(_DayException(*row))
    values = {"counselors": ids, "starts_before": starts_before, "ends_after": ends_after}
    for counselor_id, starts_at, ends_at in composed_for(("sessions.free_busy",), _busy_times_of, values).tuples(
        values
    ):
        busy[counselor_id].append((starts_at, ends_at))
    return weekly, exceptions, busy


def _hours_of(*, counselors: list[int]):
    return (
        WeeklyAvailability.objects.filter(counselor_id__in=counselors)
        .order_by()
        .values_list("counselor_id", *_WeeklyHours._fields)
    )


def _exceptions_of(*, counselors: list[int], first_day: date, last_day: date):
    return (
        AvailabilityException.objects.filter(counselor_id__in=counselors, date__range=(first_day, last_day))
        .order_by()
        .values_list("counselor_id", *_DayException._fields)
    )


def _busy_times_of(*, counselors: list[int], starts_before: datetime, ends_after: datetime):
    return (
        CounselingSession.objects.filter(
            counselor_id__in=counselors, starts_at__lt=starts_before, ends_at__gt=ends_after
        )
        .exclude(state=SessionState.CANCELLED)
        .order_by()
        .values_list("counselor_id", "starts_at", "ends_at")
    )


def slot_is_offered(*, counselor, starts_at: datetime, at: datetime | None = None) -> bool:
    window_end = starts_at + timedelta(minutes=1)
    return any(
        slot.starts_at == starts_at for slot in open_slots(counselor=counselor, start=starts_at, end=window_end, at=at)
    )


def series_starts(*, counselor, first_starts_at: datetime, weeks: int) -> list[datetime]:
    """The starts of a weekly series: the same wall-clock time in the counselor's zone each week (the hours they
    keep), so a daylight-saving change moves the UTC instant. A time that does not exist on a date is kept as
    the instant its naive reading gives; it is then no offered slot, and is listed as a conflict."""
    zone = counselor_zone(counselor)
    local = first_starts_at.astimezone(zone)
    starts = []
    for week in range(weeks):
        day = local.date() + timedelta(weeks=week)
        instant = _local_instant(day, local.time(), zone)
        starts.append(instant or datetime.combine(day, local.time()).replace(tzinfo=zone).astimezone(UTC))
    return starts


def series_conflicts(*, client, counselor, starts: list[datetime], at: datetime | None = None) -> list[datetime]:
    """The starts of a planned series that cannot be booked: not an offered slot of the counselor (outside their
    hours, an exception, another client's session) or a time the client already has a session."""
    at = at or now()
    length = timedelta(minutes=settings.SESSION_LENGTH_MINUTES)
    live = (SessionState.REQUESTED, SessionState.SCHEDULED, SessionState.OPEN, SessionState.IN_PROGRESS)
    return [
        start
        for start in starts
        if not slot_is_offered(counselor=counselor, starts_at=start, at=at)
        or CounselingSession.objects.filter(
            client=client, starts_at__lt=start + length, ends_at__gt=start, state__in=live
        ).exists()
    ]


def series_summary(*, session: CounselingSession, at: datetime | None = None) -> dict | None:
    """For a session of a weekly series: the series, this session's place in it, how many are booked and how
    many are still to come (what cancelling the series would cancel). None for a single session."""
    if session.series_id is None:
        return None
    at = at or now()
    rows = list(CounselingSession.objects.filter(series_id=session.series_id).order_by("starts_at", "pk"))
    coming = [row for row in rows if row.starts_at > at and row.state in (SessionState.SCHEDULED, SessionState.OPEN)]
    return {
        "id": session.series_id,
        "number": next(i for i, row in enumerate(rows, 1) if row.pk == session.pk),
        "count": len(rows),
        "coming": len(coming),
    }


def access_series(*, user, series_id: int) -> SessionSeries:
    """A weekly series if `user` is its client or its counselor, else 404."""
    series = SessionSeries.objects.select_related("client", "counselor").filter(pk=series_id).first()
    if series is None or not series.is_participant(user):
        raise Http404
    return series


def _caseload_ids_since(*, counselor: int, since: datetime):
    """Ids of the counselor's active clients: a live session since `since` (CASELOAD_ACTIVE_DAYS ago), or upcoming."""
    return (
        CounselingSession.objects.filter(counselor=counselor, starts_at__gte=since)
        .exclude(state=SessionState.CANCELLED)
        .values("client_id")
        .distinct()
    )


def _caseload_has_client(*, counselor: int, since: datetime, client: int):
    return _caseload_ids_since(counselor=counselor, since=since).filter(client_id=client)


def caseload_has_room_for(*, counselor, client, at: datetime | None = None) -> GateResult:
    """At the caseload limit a counselor takes no NEW clients; clients already in the caseload still book.

    Two questions of _caseload_ids_since, their statements composed once per process (counseling.statements): is the
    client among them (one row is enough), and are there at least the limit's number (no more rows are read)."""
    since = (at or now()) - timedelta(days=settings.CASELOAD_ACTIVE_DAYS)
    values = {"counselor": counselor.pk, "since": since, "client": client.pk}
    if composed_for(("sessions.caseload_has_client",), _caseload_has_client, values).tuples(values, high=1):
        return GateResult.ok()
    limit = counselor.counselor_profile.caseload_limit
    values = {"counselor": counselor.pk, "since": since}
    if len(composed_for(("sessions.caseload_ids",), _caseload_ids_since, values).tuples(values, high=limit)) >= limit:
        return GateResult.refuse(
            "caseload_full",
            _("This counselor is not taking new clients at the moment. Please choose another counselor."),
            reverse("sessions:booking_counselors"),
        )
    return GateResult.ok()


def booking_gate(*, client, counselor, starts_at: datetime, at: datetime | None = None) -> GateResult:
    """May `client` book `counselor` for a session at `starts_at`? Calls each gate; re-implements none.

    A confirmed e-mail address (reminders and cancellations reach the client there), consent (ACA H.2.a),
    verified identity and emergency plan (H.3), the counselor's licence where the client is at the session time
    (H.1.b), then the counselor's caseload limit.
    """
    for result in (email_verified_gate(user=client), consent_gate(client=client, counselor=counselor)):
        if not result:
            return result
    # The identity gate and the client's usual place both read the intake: once, with the gate's facts.
    intake = intake_for_gate(client=client)
    result = _identity_for_booking(client=client, counselor=counselor, intake=intake)
    if not result:
        return result
    place = client_location(client=client, intake=intake)
    if place is None:
        return GateResult.refuse(
            "location_unknown",
            _("Please tell us where you are: it decides which counselors may counsel you."),
            reverse("intake:home"),
        )
    result = jurisdiction_gate(counselor=counselor, country=place.country, region=place.region, at=starts_at)
    if not result:
        return result
    return caseload_has_room_for(counselor=counselor, client=client, at=at)


def client_accepted_by(*, client, counselor) -> bool:
    """Has `counselor` taken `client` on? Once they accepted a request of the client's (ClientAcceptance), or the two
    had a session that was not a request (an ordinary booking made before requests existed). Until then a booking
    of the client's with this counselor is a request (sessions.services.session_book)."""
    if ClientAcceptance.objects.filter(client=client, counselor=counselor).exists():
        return True
    return (
        CounselingSession.objects.filter(client=client, counselor=counselor)
        .filter(
            ~Q(state__in=[SessionState.REQUESTED, SessionState.CANCELLED])
            | Q(state=SessionState.CANCELLED, booking_request__isnull=True)
        )
        .exists()
    )


def _identity_for_booking(*, client, counselor, intake=UNREAD) -> GateResult:
    """The identity gate as booking asks it: a suitability screen that did not pass does not stop a client from
    sending a counselor who has not taken them on a request (the counselor decides, and may override the screen
    or refer them); it stops an ordinary booking until that counselor overrode it."""
    result = identity_gate(client=client, counselor=counselor, intake=intake)
    if result or result.reason != "unsuitable_for_text" or client_accepted_by(client=client, counselor=counselor):
        return result
    return GateResult.ok()


def screen_passed_for(*, client, counselor) -> bool:
    """Is the client's suitability screen passed for this counselor (passed, or overridden by them in writing)?
    The identity gate answers it; whatever else it refuses is not this question."""
    return identity_gate(client=client, counselor=counselor).reason != "unsuitable_for_text"


def request_deadline(*, starts_at: datetime, at: datetime) -> datetime:
    """Until when a request may be answered: SESSION_REQUEST_ANSWER_HOURS after it was sent, and never later than
    the moment its session would open (SESSION_OPEN_MINUTES_BEFORE its start)."""
    return min(
        at + timedelta(hours=settings.SESSION_REQUEST_ANSWER_HOURS),
        starts_at - timedelta(minutes=settings.SESSION_OPEN_MINUTES_BEFORE),
    )


def _pending_requests(*, counselor, at: datetime):
    return (
        SessionRequest.objects.filter(
            session__counselor=counselor, session__state=SessionState.REQUESTED, outcome="", expires_at__gt=at
        )
        .select_related("session__client__client_profile")
        # What the dashboard's panel shows, no more (the full rows of four tables cost as much to compile)
        .only(
            "session_id",
            "expires_at",
            "screen_passed",
            "session__starts_at",
            "session__client_id",
            "session__client__client_profile__display_name",
        )
        .order_by("expires_at", "pk")
    )


def pending_requests(*, counselor, at: datetime | None = None) -> list[SessionRequest]:
    """The counselor's requests still waiting for an answer, the soonest deadline first, each with its session and
    the client's pseudonym (never more: the intake is read on the request's own page, which audits the read).
    Its statement is composed once per process (counseling.statements)."""
    values = {"counselor": getattr(counselor, "pk", counselor), "at": at or now()}
    return composed_for(("pending_requests",), _pending_requests, values).instances(values)


def access_request(*, user, session_id: int) -> SessionRequest:
    """A request for its counselor only; everyone else (its client included: they see their session page) gets
    404, as for a request that does not exist."""
    booking_request = (
        SessionRequest.objects.select_related("session__client__client_profile", "session__counselor")
        .filter(session_id=session_id)
        .first()
    )
    if booking_request is None or booking_request.session.counselor_id != user.pk:
        raise Http404
    return booking_request


# What the counselor may answer when they decline a request: codes only, each told to the client kindly.
DECLINE_REASONS = {
    "caseload_full": gettext_lazy("My caseload is full"),
    "outside_competence": gettext_lazy("The client's needs are outside my competence"),
    "needs_in_person": gettext_lazy("Face-to-face care suits the client better"),
    "time_unavailable": gettext_lazy("I cannot take this time"),
    "conflict_of_interest": gettext_lazy("A conflict of interest (for example, I know the client)"),
}

# The same reasons as the client reads them: kind, never blaming, and never the counselor's clinical judgement.
DECLINE_REASONS_TOLD = {
    "caseload_full": gettext_lazy("the counselor cannot take on new clients at the moment"),
    "outside_competence": gettext_lazy("the counselor thinks another counselor can help you better"),
    "needs_in_person": gettext_lazy("the counselor thinks face-to-face care would help you better now"),
    "time_unavailable": gettext_lazy("the counselor cannot take this time"),
    "conflict_of_interest": gettext_lazy("the counselor may not counsel you, to keep your counseling impartial"),
}


def request_outcome_told(*, session: CounselingSession, viewer) -> str:
    """What the client of a declined or expired request is told, in the active language, kindly: why, and that
    it says nothing against them. "" for anyone else and for any other session."""
    if viewer.pk != session.client_id or session.state != SessionState.CANCELLED:
        return ""
    if session.cancel_reason == "request_declined":
        outcome = SessionRequest.objects.filter(session=session).values_list("decline_reason", flat=True).first()
        reason = DECLINE_REASONS_TOLD.get(outcome or "")
        parts = [_("Thank you for your request. The counselor could not take you on.")]
        if reason:
            parts.append(_("The reason: %(reason)s.") % {"reason": reason})
        parts.append(
            _("This says nothing against you. Another counselor may be right for you: you can choose one now.")
        )
        return " ".join(str(part) for part in parts)
    if session.cancel_reason == "request_expired":
        return str(
            _(
                "The counselor did not answer your request in time, so the time is free again. This says nothing "
                "against you: you can ask again, or choose another counselor."
            )
        )
    return ""


@dataclass(frozen=True)
class BookingChoices:
    """The booking list: where the client is now, the counselors who may counsel them there (each with the first
    refusal still in the way before a slot is picked, with its link, or allowed), and how many were left out."""

    place: Place | None
    rows: list[tuple[User, GateResult]]
    hidden: int
    # What stops the client booking anyone, and how to fix it: an unconfirmed e-mail address (booking_gate asks it
    # first), or an unknown place (then nobody can be listed).
    refusal: GateResult | None = None


def booking_choices(*, client, at: datetime | None = None) -> BookingChoices:
    """Who `client` may book where they are now (client_location: counseling takes place where the client is,
    ACA H.1.b). Only counselors the jurisdiction gate allows there now are listed; for each, the gates booking
    calls next (consent with this counselor's details, the client's identity and emergency plan, the caseload)
    are asked now, so a refusal names its reason and links to its fix before a time is picked."""
    at = at or now()
    counselors = list(
        User.objects.filter(role=Role.COUNSELOR, is_active=True, counselor_profile__isnull=False)
        .select_related("counselor_profile")
        .order_by("counselor_profile__display_name")
    )
    email = email_verified_gate(user=client)
    place = client_location(client=client)
    if place is None or not place.country:
        refusal = GateResult.refuse(
            "location_unknown",
            _("Please tell us where you are in your intake: it decides which counselors may counsel you."),
            reverse("intake:home"),
        )
        return BookingChoices(place=None, rows=[], hidden=len(counselors), refusal=refusal if email else email)
    identity = identity_gate(client=client)
    rows: list[tuple[User, GateResult]] = []
    hidden = 0
    for counselor in counselors:
        if not jurisdiction_gate(counselor=counselor, country=place.country, region=place.region, at=at):
            hidden += 1
            continue
        gate = GateResult.ok()
        for result in (
            consent_gate(client=client, counselor=counselor),
            identity
            if identity or identity.reason != "unsuitable_for_text"
            else _identity_for_booking(client=client, counselor=counselor),
            caseload_has_room_for(counselor=counselor, client=client, at=at),
        ):
            if not result:
                gate = result
                break
        rows.append((counselor, gate))
    return BookingChoices(place=place, rows=rows, hidden=hidden, refusal=None if email else email)


def next_free_slot(*, counselor, at: datetime | None = None, within_days: int | None = None) -> datetime | None:
    """The start of the counselor's next bookable slot within `within_days` (default the booking horizon)."""
    return next_free_slots(counselors=[counselor], at=at, within_days=within_days)[counselor.pk]


def next_free_slots(
    *, counselors, at: datetime | None = None, within_days: int | None = None
) -> dict[int, datetime | None]:
    """{counselor id: next_free_slot(...)} for many counselors (the directory) in three queries whatever
    their number: every counselor's weekly hours, exceptions and sessions in the span are read at once."""
    at = at or now()
    days = within_days if within_days is not None else settings.BOOKING_HORIZON_DAYS
    start, end = at, at + timedelta(days=days)
    length = timedelta(minutes=settings.SESSION_LENGTH_MINUTES)
    # Local dates differ from UTC ones by a day at most; open_slots looks at each date's own exceptions.
    weekly, exceptions, busy = _calendars_of(
        ids=[counselor.pk for counselor in counselors],
        first_day=start.date() - timedelta(days=2),
        last_day=end.date() + timedelta(days=2),
        starts_before=end + length,
        ends_after=start - length,
    )
    found = {}
    for counselor in counselors:
        pk = counselor.pk
        known = (weekly[pk], exceptions[pk], busy[pk])
        slots = open_slots(counselor=counselor, start=start, end=end, at=at, first_only=True, known=known)
        found[pk] = slots[0].starts_at if slots else None
    return found


def _client_sessions(*, client):
    return (
        CounselingSession.objects.filter(client_id=client)
        # Each row's own profiles (session_times reads the client's time zone, User.display_name looks for the
        # counselor's client profile first): with the rows, not one query per row.
        .select_related("client__client_profile", "counselor__counselor_profile", "counselor__client_profile")
        # By start (then id, for sessions starting together), sorted here: a client's sessions are few.
        .order_by()
    )


def client_sessions(*, client, at: datetime | None = None) -> tuple[list, list]:
    """(upcoming, past) sessions of a client, with their counselors.

    The client's home asks it on every load: its statement is composed once per process (counseling.statements),
    the ORM built and compiled this join (the client, the counselor, three profiles) for ~0.9 ms of CPU."""
    at = at or now()
    values = {"client": client.pk}
    rows = sorted(
        composed_for(("sessions.client_sessions",), _client_sessions, values).instances(values),
        key=lambda session: (session.starts_at, session.pk),
    )
    live = {SessionState.REQUESTED, SessionState.SCHEDULED, SessionState.OPEN, SessionState.IN_PROGRESS}
    upcoming = [s for s in rows if s.state in live and s.ends_at > at]
    past = [s for s in reversed(rows) if s not in upcoming]
    return upcoming, past


def client_referrals(*, client):
    return Referral.objects.filter(client=client).select_related(
        "counselor", "counselor__counselor_profile", "counselor__client_profile"
    )


def _client_referrals(*, client):
    return Referral.objects.filter(client_id=client)


def client_referrals_by(*, client, counselors: dict[int, User]) -> list[Referral]:
    """The client's referrals (as client_referrals), each with its counselor taken from `counselors` (by id: users
    already read with both profiles, e.g. the counselors of the client's sessions) rather than joined: the join of
    three tables costs ~3,000 Python calls to compile, for nothing on the page of a client with no referral. A
    referral by a counselor not given is read as client_referrals reads it. The referrals' own statement is
    composed once per process (counseling.statements): the client's home asks it on every load."""
    values = {"client": client.pk}
    referrals = composed_for(("sessions.client_referrals",), _client_referrals, values).instances(values)
    if any(referral.counselor_id not in counselors for referral in referrals):
        return list(client_referrals(client=client))
    for referral in referrals:
        referral.counselor = counselors[referral.counselor_id]
    return referrals


def referral_text(*, referral: Referral) -> tuple[str, str]:
    """(reason, destination) opened under the client's data key; raises DecryptionError if unreadable."""
    reason = open_text(owner_id=referral.client_id, sealed=referral.reason_sealed, context=referral.reason_context)
    where = open_text(
        owner_id=referral.client_id, sealed=referral.destination_sealed, context=referral.destination_context
    )
    return reason, where


def reply_due_at_for(*, counselor, sent_at: datetime) -> datetime:
    """When a client's message sent at `sent_at` must be answered, by the counselor's response-time promise."""
    hours = counselor.counselor_profile.response_time_promise_hours
    return sent_at + timedelta(hours=hours)


def session_times(*, session: CounselingSession, viewer) -> dict:
    """The session's start and end in the viewer's zone and in the other party's, both labelled."""
    client_tz = _zone(session.client_time_zone) if session.client_time_zone else client_zone(session.client)
    counselor_tz = (
        _zone(session.counselor_time_zone) if session.counselor_time_zone else counselor_zone(session.counselor)
    )
    mine, theirs = (client_tz, counselor_tz) if viewer.pk == session.client_id else (counselor_tz, client_tz)
    return {
        "mine_start": session.starts_at.astimezone(mine),
        "mine_end": session.ends_at.astimezone(mine),
        "mine_zone": mine.key,
        "theirs_start": session.starts_at.astimezone(theirs),
        "theirs_end": session.ends_at.astimezone(theirs),
        "theirs_zone": theirs.key,
        "same_zone": mine.key == theirs.key,
    }


# A counselor's reason as the client is told it (the counselor's own "I am unwell" reads "illness" to the client).
REASONS_TOLD = {
    "schedule_conflict": gettext_lazy("a schedule conflict"),
    "unwell": gettext_lazy("illness"),
    "no_longer_needed": gettext_lazy("the session is no longer needed"),
    "counselor_unavailable": gettext_lazy("the counselor is unavailable at that time"),
    "other": gettext_lazy("another reason"),
}


def counselor_change_told(*, session: CounselingSession, viewer) -> str:
    """What the client of a session the counselor cancelled or moved is told, in the active language: the
    counselor's reason, and for a late cancellation that it never counts against the client. "" for anyone
    else, and when the client made the change themselves (their reason is not put in an e-mail)."""
    if viewer.pk != session.client_id:
        return ""
    parts = []
    if session.state == SessionState.CANCELLED and session.cancelled_by_id == session.counselor_id:
        if session.cancel_reason in REASONS_TOLD:
            parts.append(
                _("Your counselor gave this reason: %(reason)s.") % {"reason": REASONS_TOLD[session.cancel_reason]}
            )
        if session.cancelled_late and not session.late_charged_to_client:
            parts.append(
                _("Your counselor cancelled at short notice. This never counts as a late cancellation of yours.")
            )
    elif session.reschedule_reason in REASONS_TOLD and session.rescheduled_from_id:
        moved_by = (
            CounselingSession.objects.filter(pk=session.rescheduled_from_id)
            .values_list("cancelled_by", flat=True)
            .first()
        )
        if moved_by == session.counselor_id:
            parts.append(
                _("Your counselor moved this session, for this reason: %(reason)s.")
                % {"reason": REASONS_TOLD[session.reschedule_reason]}
            )
    return " ".join(str(part) for part in parts)


def can_cancel(*, session: CounselingSession) -> bool:
    """Scheduled or open sessions; a request too (its client withdraws it; its counselor declines it instead)."""
    return session.state in (SessionState.REQUESTED, SessionState.SCHEDULED, SessionState.OPEN)


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


# --- Where the client is for a session, and the code word at its start -----------------------------


@dataclass(frozen=True)
class LocationChange:
    intake_country: str
    intake_region: str
    session_country: str
    session_region: str


def session_location_change(*, session) -> LocationChange | None:
    """A change between the intake location and the location confirmed for this session, or None.

    The counselor sees it (ACA H.1.b: a new place can mean another law and other emergency numbers).
    None also when nothing is confirmed yet or there is no intake to compare with.
    """
    if session.location_confirmed_at is None:
        return None
    intake = intake_for(client=session.client_id)
    if intake is None:
        return None
    answers = intake_answers(intake)
    before = (answers.get("country", ""), answers.get("region", ""))
    after = (session.location_country, session.location_region)
    if before == after:
        return None
    return LocationChange(*before, *after)


def code_word_result_for(*, session, viewer) -> bool | None:
    """The latest code-word answer in this session for its counselor: True (matches), False (does
    not match) or None (not answered). Never the word."""
    if viewer.pk != session.counselor_id:
        raise PermissionDenied
    latest = CodeWordCheck.objects.filter(session=session).order_by("-checked_at", "-id").first()
    return None if latest is None else latest.matched


def code_word_advice(state: str) -> str:
    """What the counselor should do in each code-word state of a session ("" when nothing is to be done)."""
    return {
        "waiting": _(
            "The client is asked for their code word as they join the chat. Wait until it matches before you start."
        ),
        "mismatch": _(
            "Do not discuss anything personal yet. Ask the client to try again, or confirm their identity "
            "another way; if in doubt, end the session."
        ),
        "locked": _(
            "The code word did not match too many times and cannot be tried again for now. Do not discuss "
            "anything personal. Confirm the client's identity another way, or end the session."
        ),
    }.get(state, "")


def code_word_gate(*, session: CounselingSession) -> GateResult:
    """May the counselor write in this session? Only once the client's code word matched here, or once the
    counselor wrote down why they go on without it (ACA H.3: verify identity at the start of every
    session). The client may always write: a person in crisis must never be kept from it."""
    status = code_word_status(session=session)
    if status.confirmed:
        return GateResult.ok()
    message = _("%(advice)s To go on without a match, write down why in the panel beside the chat.") % {
        "advice": code_word_advice(status.state)
    }
    fix_url = reverse("sessions:session_chat", args=[session.pk]) + "#code-word"
    return GateResult.refuse(f"code_word_{status.state}", message, fix_url)


def sessions_to_locate(*, client) -> list:
    """The client's sessions still to come, each needing a location confirmed before it starts. Each carries
    `location_status`: "current" (its confirmation counts), "later" (confirmed too early: asked again from
    `location_asked_from`), "again" (confirmed too early, and it can be confirmed again now) or "missing"."""
    sessions = list(
        CounselingSession.objects.filter(
            client=client, ends_at__gt=now(), state__in=[SessionState.SCHEDULED, SessionState.OPEN]
        )
        .select_related("counselor__counselor_profile")
        .order_by("starts_at")[:10]
    )
    at = now()
    for session in sessions:
        session.location_asked_from = location_confirmation_opens_at(session=session)
        if session.location_confirmed_at is None:
            session.location_status = "missing"
        elif location_confirmation_current(session=session):
            session.location_status = "current"
        else:
            session.location_status = "later" if session.location_asked_from > at else "again"
    return sessions


# --- What the retention engine needs to know of this app's records (registered in sessions.receivers) ---


def client_messages(client_id: int):
    """All chat messages of a client's conversations: the bulk of their record."""
    return Message.objects.filter(conversation__client_id=client_id)


def client_last_message_at(client_ref):
    return Subquery(
        Message.objects.filter(conversation__client=client_ref).order_by("-created_at").values("created_at")[:1]
    )


def client_last_session_end(client_ref):
    return Subquery(
        CounselingSession.objects.filter(client=client_ref)
        .exclude(state=SessionState.CANCELLED)
        .order_by("-ends_at")
        .values("ends_at")[:1]
    )


def client_confirmed_places(client_id: int) -> set[tuple[str, str]]:
    return set(
        CounselingSession.objects.filter(client_id=client_id, location_confirmed_at__isnull=False).values_list(
            "location_country", "location_region"
        )
    )


def client_counselor_ids(client_id: int) -> set[int]:
    """Every counselor who counseled this client: in a session (not one cancelled), in their conversation,
    or answering in it as a cover. The law of each one's licence may keep the client's records."""
    in_sessions = (
        CounselingSession.objects.filter(client_id=client_id)
        .exclude(state=SessionState.CANCELLED)
        .values_list("counselor_id", flat=True)
    )
    in_conversations = Conversation.objects.filter(client_id=client_id).values_list("counselor_id", flat=True)
    as_cover = ConversationCover.objects.filter(conversation__client_id=client_id).values_list("cover_id", flat=True)
    return set(in_sessions) | set(in_conversations) | set(as_cover)


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _opened(open_it) -> str | None:
    """A sealed value opened for the client's own copy; None when it cannot be opened (moved or altered)."""
    try:
        return open_it()
    except DecryptionError:
        return None


def _name_for(*, user, client) -> str | None:
    if user is None:
        return None
    return "you" if user.pk == client.pk else user.display_name


def sessions_client_export(client) -> list[dict]:
    """The client's sessions for their own copy of their data (records.services.client_export): times, state,
    the place they confirmed (and the landmark they gave, opened), who cancelled and why (a reason code)."""
    rows = []
    for session in (
        CounselingSession.objects.filter(client=client)
        .select_related("counselor__counselor_profile", "cancelled_by", "booking_request")
        .order_by("starts_at", "pk")
    ):
        asked = getattr(session, "booking_request", None)
        rows.append(
            {
                "session_id": session.pk,
                "counselor": session.counselor.display_name,
                "starts_at": _iso(session.starts_at),
                "ends_at": _iso(session.ends_at),
                "state": session.state,
                "booked_at": _iso(session.created_at),
                "client_time_zone": session.client_time_zone,
                "counselor_time_zone": session.counselor_time_zone,
                "response_promise_hours": session.response_promise_hours,
                "rescheduled_from_session_id": session.rescheduled_from_id,
                "location_country": session.location_country,
                "location_region": session.location_region,
                "location_confirmed_at": _iso(session.location_confirmed_at),
                "location_landmark": _opened(lambda session=session: session_landmark(session=session))
                if session.location_landmark_sealed
                else "",
                "opened_at": _iso(session.opened_at),
                "started_at": _iso(session.started_at),
                "finished_at": _iso(session.finished_at),
                "cancelled_at": _iso(session.cancelled_at),
                "cancelled_by": _name_for(user=session.cancelled_by, client=client),
                "cancel_reason": session.cancel_reason,
                "cancelled_late": session.cancelled_late,
                "late_charged_to_client": session.late_charged_to_client,
                "reschedule_reason": session.reschedule_reason,
                "weekly_series_id": session.series_id,
                # A first session asked as a request: how the counselor answered it (a reason code), and when.
                "request": {
                    "outcome": asked.outcome or "waiting",
                    "answered_at": _iso(asked.answered_at),
                    "decline_reason": asked.decline_reason,
                    "screen_passed": asked.screen_passed,
                }
                if asked is not None
                else None,
            }
        )
    return rows


def referrals_client_export(client) -> list[dict]:
    """The client's referrals to in-person care, reason and destination opened (they are shown to the client)."""
    return [
        {
            "created_at": _iso(referral.created_at),
            "counselor": referral.counselor.display_name,
            "reason": _opened(
                lambda r=referral: open_text(owner_id=client.pk, sealed=r.reason_sealed, context=r.reason_context)
            ),
            "destination": _opened(
                lambda r=referral: open_text(
                    owner_id=client.pk, sealed=r.destination_sealed, context=r.destination_context
                )
            ),
        }
        for referral in Referral.objects.filter(client=client)
        .select_related("counselor__counselor_profile")
        .order_by("created_at", "pk")
    ]
