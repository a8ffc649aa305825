"""Writes of the sessions app: booking, state moves, location confirmation, what follows a withdrawn consent
or a lapsed licence. State moves happen only here. The chat's writes are in sessions.chat.services."""

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from counseling.audit import audit_record
from counseling.clock import now
from counseling.crypto import seal
from counseling.gates import GateResult
from counseling.mail import email_person, language_of
from counseling.models import CounselorProfile, User
from counseling.notifications import notify_user_on_commit
from identity.places import region_error
from identity.services import suitability_override_record
from licensing.models import LapseNotice
from licensing.selectors import jurisdiction_gate, public_licences
from sessions import tasks
from sessions.calendar import feed_token_digest
from sessions.chat.events import (
    chat_close_on_commit,
)
from sessions.models import (
    AvailabilityException,
    CalendarFeed,
    CallEvent,
    CallEventKind,
    ClientAcceptance,
    Conversation,
    CounselingSession,
    Message,
    Referral,
    RequestOutcome,
    SessionMedium,
    SessionRequest,
    SessionSeries,
    SessionState,
    WeeklyAvailability,
)
from sessions.selectors import (
    DECLINE_REASONS,
    booking_gate,
    client_accepted_by,
    client_location,
    client_zone,
    clients_of_counselor,
    counselor_change_told,
    request_deadline,
    request_outcome_told,
    screen_passed_for,
    series_conflicts,
    series_starts,
    session_location_change,
    session_start_gate,
    slot_is_offered,
)

log = logging.getLogger(__name__)


def sessions_cancel_for_consent_withdrawal(*, client, actor, request=None) -> int:
    """Cancel the client's sessions still to come after they withdrew consent (consent app calls this).

    Each SCHEDULED/OPEN session that has not ended moves to CANCELLED by a conditional update (so a
    concurrent move wins cleanly), is audit-logged, and its counselor is notified on their open pages
    and by e-mail (no client data beyond the pseudonym and the time). Open chat sockets of the pair
    are told to re-check their gates, which now refuse, and close. Call inside a transaction.
    """
    cancelled = 0
    at = now()
    with transaction.atomic():
        due = list(
            CounselingSession.objects.select_related("counselor__counselor_profile")
            .filter(
                client=client,
                state__in=[SessionState.REQUESTED, SessionState.SCHEDULED, SessionState.OPEN],
                ends_at__gt=at,
            )
            .order_by("starts_at")
        )
        for session in due:
            moved = CounselingSession.objects.filter(pk=session.pk, state=session.state).update(
                state=SessionState.CANCELLED, cancelled_at=at, cancelled_by=actor, cancel_reason="consent_withdrawn"
            )
            if not moved:
                continue
            _request_close(session=session, outcome=RequestOutcome.WITHDRAWN, by=actor, at=at)
            cancelled += 1
            audit_record(
                actor=actor,
                action="session.cancelled",
                target=session,
                subject=client,
                request=request,
                detail={"reason": "consent_withdrawn", "from_state": session.state},
            )
            with translation.override(language_of(session.counselor)):
                notice = {
                    "type": "session.cancelled",
                    "kind": "session_cancelled",
                    "id": session.pk,
                    "session_id": session.pk,
                    "reason": "consent_withdrawn",
                    "title": _("Session cancelled: the client withdrew consent"),
                    "url": reverse("sessions:session_detail", args=[session.pk]),
                    "link": _("Open"),
                }
            notify_user_on_commit(user_id=session.counselor_id, payload=notice)
            when = session.starts_at.strftime("%Y-%m-%d %H:%M")
            email_person(
                recipient=session.counselor,
                subject=lambda: _("Session cancelled: the client withdrew consent"),
                body=lambda _link, when=when: (
                    _(
                        "%(client)s withdrew their consent to online counseling. Your session on %(when)s (UTC) "
                        "was cancelled. Their records are kept according to the retention policy."
                    )
                    % {"client": client.display_name, "when": when}
                ),
            )
        conversation = Conversation.objects.filter(client=client).values_list("pk", flat=True)
        for conversation_id in conversation:
            chat_close_on_commit(conversation_id=conversation_id, reason="consent_withdrawn")
    return cancelled


def caseload_client_viewed_record(*, counselor, client, request=None) -> None:
    """Audit a counselor's read of one client's page (their sessions and referrals, decrypted)."""
    audit_record(actor=counselor, action="caseload.client_viewed", target=client, subject=client.pk, request=request)


def session_request_viewed_record(*, counselor, session: CounselingSession, request=None) -> None:
    """Audit a counselor's read of a request: the client's intake summary and suitability screen, opened."""
    audit_record(
        actor=counselor, action="session.request_viewed", target=session, subject=session.client_id, request=request
    )


def session_viewed_record(*, user, session: CounselingSession, request=None) -> None:
    """Audit a counselor's read of one session of their client (its times, state and location)."""
    audit_record(actor=user, action="session.viewed", target=session, subject=session.client_id, request=request)


# --- Booking, availability, session states, referrals -----------------------------------
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
SYSTEM_CANCEL_REASONS = {"rescheduled", "consent_withdrawn", "series_cancelled", "request_declined", "request_expired"}

# A session that was started is completed automatically this long after its planned end.
AUTO_COMPLETE_AFTER = timedelta(minutes=30)
LIVE_STATES = (SessionState.REQUESTED, SessionState.SCHEDULED, SessionState.OPEN, SessionState.IN_PROGRESS)


class BookingError(Exception):
    """A refused booking or state move, with a stable code and a message a person can act on."""

    def __init__(self, code: str, message: str = "", action_url: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.message = message or code
        self.action_url = action_url  # from a gate: where the person fixes it


def session_event_title(event: str) -> str:
    """What happened to a session, in a few words of the active language: an e-mail's subject, a notice's title."""
    return {
        "booked": _("Session booked"),
        "cancelled": _("Session cancelled"),
        "rescheduled": _("Session rescheduled"),
        "reminder": _("Reminder: your session is coming up"),
        "requested": _("Session requested"),
        "accepted": _("Your request was accepted: the session is booked"),
        "declined": _("Your request for a session"),
        "expired": _("A session request expired"),
    }.get(event, _("Session update"))


def _session_notify(*, session: CounselingSession, event: str) -> None:
    """A notice on both parties' open pages, each in their language, and the e-mail, after commit, with ids only
    (sessions.tasks renders its text). When the counselor cancelled or moved it, the client's notice says why."""
    for person in (session.client, session.counselor):
        with translation.override(language_of(person)):
            notice = {
                "type": f"session.{event}",
                "kind": f"session_{event}",
                "id": session.pk,
                "session_id": session.pk,
                "title": session_event_title(event),
                "url": reverse("sessions:session_detail", args=[session.pk]),
                "link": _("Open"),
            }
            why = counselor_change_told(session=session, viewer=person)
            if why:
                notice["body"] = why
            if event == "requested" and person.pk == session.counselor_id:
                notice["title"] = _("A new client asks for a session: accept or decline")
                notice["url"] = reverse("sessions:session_request", args=[session.pk])
            elif event == "requested":
                notice["body"] = _(
                    "Your first session with a counselor is a request: the counselor reads your intake, then accepts "
                    "or declines. We tell you here and by e-mail."
                )
        notify_user_on_commit(user_id=person.pk, payload=notice)
    transaction.on_commit(lambda: tasks.session_email_send.delay(session.pk, event))


def _refuse_unless(result: GateResult) -> None:
    if not result:
        raise BookingError(result.reason, result.message, result.action_url)


def _medium_checked(medium: str) -> str:
    if medium not in SessionMedium.values:
        raise BookingError("medium_unknown", _("Please choose video, voice or chat."))
    return medium


def session_medium_change(
    *, session: CounselingSession, actor, medium: str, request=None, at: datetime | None = None
) -> CounselingSession:
    """Either participant changes how the session is held (video, voice, chat) until it starts; audited; the
    session page shows both of them the choice. After the start it is refused: the call or chat already under way
    stays as it is, and the chat is always there beside a call."""
    at = at or now()
    medium = _medium_checked(medium)
    with transaction.atomic():
        locked = CounselingSession.objects.select_for_update().get(pk=session.pk)
        if not locked.is_participant(actor):
            raise PermissionDenied
        if locked.state not in (SessionState.SCHEDULED, SessionState.OPEN) or at >= locked.starts_at:
            raise BookingError(
                "medium_after_start", _("The session has started: how it is held can no longer be changed.")
            )
        if locked.medium == medium:
            return locked
        before = locked.medium
        locked.medium = medium
        locked.save(update_fields=["medium"])
        audit_record(
            actor=actor,
            action="session.medium_changed",
            target=locked,
            subject=locked.client_id,
            request=request,
            detail={"from": before, "to": medium},
        )
    return locked


def session_book(
    *,
    client,
    counselor,
    starts_at: datetime,
    request=None,
    at: datetime | None = None,
    actor=None,
    rescheduled_from: CounselingSession | None = None,
    series: SessionSeries | None = None,
    medium: str = SessionMedium.CHAT,
) -> CounselingSession:
    """Book `client` with `counselor` at `starts_at` (a slot from open_slots), or raise BookingError.

    An occurrence of a weekly `series` is booked the same way; the series tells both parties once.

    A client's first booking with a counselor who has not taken them on (selectors.client_accepted_by) is a
    request: the session is REQUESTED, holding the slot, until the counselor accepts it (session_request_accept),
    declines it or lets it expire (SESSION_REQUEST_ANSWER_HOURS, at the latest when the session would open). A
    client whose suitability screen did not pass may send one too; it is marked so for the counselor.

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
        if CounselingSession.objects.filter(
            client=client, starts_at__lt=ends_at, ends_at__gt=starts_at, state__in=LIVE_STATES
        ).exists():
            raise BookingError("client_busy", _("You already have a session at this time."))
        as_request = not client_accepted_by(client=client, counselor=counselor)
        deadline = request_deadline(starts_at=starts_at, at=at) if as_request else None
        if as_request:
            _refuse_request(client=client, counselor=counselor, series=series, deadline=deadline, at=at)
        place = client_location(client=client)
        try:
            with transaction.atomic():
                session = CounselingSession.objects.create(
                    client=client,
                    counselor=counselor,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    client_time_zone=client.client_profile.time_zone,
                    counselor_time_zone=counselor.counselor_profile.time_zone,
                    response_promise_hours=counselor.counselor_profile.response_time_promise_hours,
                    location_country=place.country if place else "",
                    location_region=place.region if place else "",
                    rescheduled_from=rescheduled_from,
                    series=series,
                    created_at=at,
                    medium=_medium_checked(medium),
                    state=SessionState.REQUESTED if as_request else SessionState.SCHEDULED,
                )
                if as_request:
                    SessionRequest.objects.create(
                        session=session,
                        created_at=at,
                        expires_at=deadline,
                        screen_passed=screen_passed_for(client=client, counselor=counselor),
                    )
        except IntegrityError as error:
            raise BookingError(
                "slot_unavailable", _("This time is no longer available. Please choose another.")
            ) from error
        audit_record(
            actor=actor,
            action="session.booked",
            target=session,
            subject=client,
            request=request,
            detail={
                "starts_at": starts_at.isoformat(),
                "counselor_id": counselor.pk,
                "rescheduled_from": rescheduled_from.pk if rescheduled_from else None,
                "series": series.pk if series else None,
                "medium": session.medium,
                "request": as_request,
            },
        )
        if rescheduled_from is None and series is None:
            _session_notify(session=session, event="requested" if as_request else "booked")
    return session


def _refuse_request(*, client, counselor, series, deadline: datetime, at: datetime) -> None:
    """What stops a request being sent: a weekly series (the counselor takes a client on with one session first),
    a request to this counselor still waiting, or a time too close for the counselor to answer before it."""
    slots_url = reverse("sessions:booking_slots", args=[counselor.pk])
    if series is not None:
        raise BookingError(
            "request_first",
            _(
                "Your first session with a counselor is a request they accept first. Ask for one session now; "
                "once they accept you, you can book weekly sessions."
            ),
            slots_url,
        )
    waiting = CounselingSession.objects.filter(
        client=client, counselor=counselor, state=SessionState.REQUESTED, ends_at__gt=at
    ).first()
    if waiting is not None:
        raise BookingError(
            "request_waiting",
            _("Your request to this counselor is waiting for their answer. You can change its time on its page."),
            reverse("sessions:session_detail", args=[waiting.pk]),
        )
    if deadline <= at:
        raise BookingError(
            "request_too_soon",
            _("Your first session with a counselor is a request they need time to answer: choose a later time."),
            slots_url,
        )


def _request_close(*, session: CounselingSession, outcome: str, by, at: datetime, **fields) -> bool:
    """Record the answer to a session's request, if it still waits (a conditional update: it is answered once)."""
    return bool(
        SessionRequest.objects.filter(session_id=session.pk, outcome="").update(
            outcome=outcome, answered_at=at, answered_by=by, **fields
        )
    )


def _client_told(*, session: CounselingSession, event: str, body: str = "", url: str = "", link: str = "") -> None:
    """A notice to the client of a request (in their language) and the e-mail (sessions.tasks renders it)."""
    client = session.client
    with translation.override(language_of(client)):
        notice = {
            "type": f"session.{event}",
            "kind": f"session_{event}",
            "id": session.pk,
            "session_id": session.pk,
            "title": session_event_title(event),
            "url": url or reverse("sessions:session_detail", args=[session.pk]),
            "link": link or _("Open"),
        }
        told = body or request_outcome_told(session=session, viewer=client)
        if told:
            notice["body"] = told
    notify_user_on_commit(user_id=client.pk, payload=notice)
    transaction.on_commit(lambda: tasks.session_email_send.delay(session.pk, event))


def _locked_request(*, session: CounselingSession, counselor) -> tuple[CounselingSession, SessionRequest]:
    if counselor.pk != session.counselor_id:
        raise PermissionDenied
    locked = CounselingSession.objects.select_for_update().select_related("client", "counselor").get(pk=session.pk)
    booking_request = SessionRequest.objects.select_for_update().filter(session=locked).first()
    if booking_request is None or locked.state != SessionState.REQUESTED or booking_request.outcome:
        raise BookingError("request_answered", _("This request was already answered."))
    return locked, booking_request


def session_request_accept(
    *, session: CounselingSession, counselor, request=None, at: datetime | None = None
) -> CounselingSession:
    """The counselor takes the client on: the request becomes an ordinary scheduled session, the client is told
    (notice and e-mail, in their language), and later bookings of the two are ordinary bookings.

    Refused (BookingError) once answered or expired, while the client's suitability screen did not pass and this
    counselor has not overridden it in writing, and when a booking gate refuses now (the counselor's licence where
    the client is, the client's consent). Only the session's counselor may (PermissionDenied).
    """
    at = at or now()
    with transaction.atomic():
        locked, booking_request = _locked_request(session=session, counselor=counselor)
        if at >= booking_request.expires_at:
            raise BookingError("request_expired", _("This request expired: its time to answer has passed."))
        if not screen_passed_for(client=locked.client, counselor=counselor):
            raise BookingError(
                "screen_not_passed",
                _(
                    "The client's suitability screen did not pass. Write down why text counseling may go on "
                    "before you accept, or decline and refer the client."
                ),
            )
        gate = booking_gate(client=locked.client, counselor=counselor, starts_at=locked.starts_at, at=at)
        if not gate:
            gate = gate.addressed_to_counselor
            raise BookingError(gate.reason, gate.message, gate.action_url)
        _move(
            session=locked,
            to=SessionState.SCHEDULED,
            from_states=[SessionState.REQUESTED],
            actor=counselor,
            request=request,
            detail={"request": "accepted"},
        )
        _request_close(session=locked, outcome=RequestOutcome.ACCEPTED, by=counselor, at=at)
        ClientAcceptance.objects.get_or_create(
            client=locked.client, counselor=counselor, defaults={"accepted_at": at, "request": booking_request}
        )
        _client_told(session=locked, event="accepted")
    return locked


def session_request_screen_override(*, session: CounselingSession, counselor, reason: str, request=None):
    """The counselor of a waiting request overrides the client's failed suitability screen, in writing (sealed
    under the client's key, audited: identity.services.suitability_override_record); then they may accept.
    Raises ValidationError for an empty reason, BookingError once the request was answered."""
    with transaction.atomic():
        locked, _booking_request = _locked_request(session=session, counselor=counselor)
        return suitability_override_record(client=locked.client, counselor=counselor, reason=reason, request=request)


def session_request_decline(
    *,
    session: CounselingSession,
    counselor,
    reason: str,
    referral_reason: str = "",
    referral_destination: str = "",
    request=None,
    at: datetime | None = None,
) -> CounselingSession:
    """The counselor does not take the client on, for `reason` (a code of DECLINE_REASONS, never free text). The
    slot is free at once. With a referral (its reason and destination, both or neither) it is recorded as any
    referral (referral_create: sealed, shown to the client). The client is told kindly, in their language, why,
    and is given the directory to find another counselor. Only the session's counselor may (PermissionDenied)."""
    at = at or now()
    if reason not in DECLINE_REASONS:
        raise BookingError("reason_required", _("Please choose a reason."))
    referral_reason, referral_destination = referral_reason.strip(), referral_destination.strip()
    if bool(referral_reason) != bool(referral_destination):
        raise BookingError("referral_incomplete", _("For a referral, write both where you refer the client and why."))
    with transaction.atomic():
        locked, _booking_request = _locked_request(session=session, counselor=counselor)
        referral = None
        if referral_reason:
            referral = referral_create(
                counselor=counselor,
                client=locked.client,
                reason=referral_reason,
                destination=referral_destination,
                request=request,
            )
        _move(
            session=locked,
            to=SessionState.CANCELLED,
            from_states=[SessionState.REQUESTED],
            actor=counselor,
            request=request,
            detail={"request": "declined", "reason": reason, "referral": referral.pk if referral else None},
            cancelled_at=at,
            cancelled_by=counselor,
            cancel_reason="request_declined",
        )
        _request_close(
            session=locked,
            outcome=RequestOutcome.DECLINED,
            by=counselor,
            at=at,
            decline_reason=reason,
            referral=referral,
        )
        with translation.override(language_of(locked.client)):
            link = _("Find another counselor")
        _client_told(session=locked, event="declined", url=reverse("licensing:directory"), link=link)
    return locked


def session_request_expire(*, session: CounselingSession, at: datetime | None = None) -> bool:
    """A request nobody answered before its deadline: the slot is free again, and both are told. Safe to run
    twice (the beat job and a page at once): it happens once."""
    at = at or now()
    with transaction.atomic():
        if not SessionRequest.objects.filter(session_id=session.pk, outcome="", expires_at__lte=at).exists():
            return False
        moved = _move(
            session=session,
            to=SessionState.CANCELLED,
            from_states=[SessionState.REQUESTED],
            actor=None,
            detail={"request": "expired"},
            cancelled_at=at,
            cancel_reason="request_expired",
        )
        if not moved:
            return False
        _request_close(session=session, outcome=RequestOutcome.EXPIRED, by=None, at=at)
        _client_told(session=session, event="expired")
        with translation.override(language_of(session.counselor)):
            notice = {
                "type": "session.expired",
                "kind": "session_expired",
                "id": session.pk,
                "session_id": session.pk,
                "title": _("A client's request expired before you answered it"),
                "url": reverse("counselor_home"),
                "link": _("Open"),
            }
        notify_user_on_commit(user_id=session.counselor_id, payload=notice)
    return True


def session_requests_expire_due(*, at: datetime | None = None, batch_size: int = 500) -> int:
    """Expire every request past its deadline (run by the minute job sessions-advance); returns how many."""
    at = at or now()
    due = list(
        CounselingSession.objects.filter(
            state=SessionState.REQUESTED, booking_request__outcome="", booking_request__expires_at__lte=at
        )
        .select_related("client", "counselor")
        .order_by("booking_request__expires_at")[:batch_size]
    )
    return sum(session_request_expire(session=session, at=at) for session in due)


@dataclass(frozen=True)
class SeriesBooked:
    series: SessionSeries
    sessions: list[CounselingSession]
    # The first refusal of a gate at an occurrence's own time (a licence that expires before it): the series
    # stops there, and the starts from it on are not booked.
    stopped: GateResult | None = None
    not_booked: list[datetime] = field(default_factory=list)


def _dates_listed(starts: list[datetime], *, zone) -> str:
    return ", ".join(date_format(start.astimezone(zone), "j F Y") for start in starts)


def session_series_book(
    *,
    client,
    counselor,
    first_starts_at: datetime,
    weeks: int,
    actor=None,
    request=None,
    at: datetime | None = None,
    medium: str = SessionMedium.CHAT,
) -> SeriesBooked:
    """Book a weekly series of `weeks` sessions, the first at `first_starts_at`, or raise BookingError.

    Each occurrence is its own session and passes the booking gates at its own time (consent, identity, the
    counselor's licence where the client is on that date, the caseload). Every date must be free: one that is
    outside the counselor's hours or taken refuses the whole series, naming the dates. A gate that refuses an
    occurrence (a licence that expires before it) stops the series there: the earlier ones are booked and the
    refusal, with its reason, is returned. Both parties are told once, each in their language.
    """
    at = at or now()
    actor = actor or client
    if not 2 <= weeks <= settings.SESSION_SERIES_MAX_WEEKS:
        raise BookingError(
            "series_length",
            _("A weekly series has from 2 to %(max)s sessions.") % {"max": settings.SESSION_SERIES_MAX_WEEKS},
        )
    with transaction.atomic():
        CounselorProfile.objects.select_for_update().filter(user=counselor).first()
        if not client_accepted_by(client=client, counselor=counselor):
            _refuse_request(client=client, counselor=counselor, series=True, deadline=at, at=at)
        starts = series_starts(counselor=counselor, first_starts_at=first_starts_at, weeks=weeks)
        conflicts = series_conflicts(client=client, counselor=counselor, starts=starts, at=at)
        if conflicts:
            raise BookingError(
                "series_conflicts",
                _(
                    "These dates are not free at this time: %(dates)s. Nothing was booked. Choose another time, or "
                    "fewer weeks."
                )
                % {"dates": _dates_listed(conflicts, zone=client_zone(client))},
            )
        stopped, bookable = None, []
        for start in starts:
            result = booking_gate(client=client, counselor=counselor, starts_at=start, at=at)
            if not result:
                stopped = result
                break
            bookable.append(start)
        if not bookable:
            _refuse_unless(stopped)
        series = SessionSeries.objects.create(
            client=client,
            counselor=counselor,
            booked_by=actor,
            created_at=at,
            weeks_asked=weeks,
            stopped_reason=stopped.reason[:64] if stopped is not None else "",
        )
        sessions = [
            session_book(
                client=client,
                counselor=counselor,
                starts_at=start,
                request=request,
                at=at,
                actor=actor,
                series=series,
                medium=medium,
            )
            for start in bookable
        ]
        not_booked = starts[len(bookable) :]
        audit_record(
            actor=actor,
            action="series.booked",
            target=series,
            subject=client,
            request=request,
            detail={
                "weeks_asked": weeks,
                "booked": [session.pk for session in sessions],
                "stopped_reason": series.stopped_reason,
                "not_booked": [start.isoformat() for start in not_booked],
            },
        )
        _series_notify(series=series, event="booked")
    return SeriesBooked(series=series, sessions=sessions, stopped=stopped, not_booked=not_booked)


def session_series_cancel(
    *, series: SessionSeries, actor, reason: str, request=None, at: datetime | None = None
) -> list[CounselingSession]:
    """Cancel the occurrences of a series still to come (not started yet); past ones stay as they were. `reason`
    is a code of CANCEL_REASONS, which the client is told when the counselor cancels. Returns those cancelled."""
    at = at or now()
    if reason not in CANCEL_REASONS:
        raise BookingError("reason_required", _("Please choose a reason."))
    with transaction.atomic():
        locked = SessionSeries.objects.select_for_update().get(pk=series.pk)
        coming = list(
            CounselingSession.objects.select_for_update()
            .filter(series=locked, starts_at__gt=at, state__in=(SessionState.SCHEDULED, SessionState.OPEN))
            .order_by("starts_at")
        )
        cancelled = [
            session
            for session in coming
            if _cancel_locked(
                session=session, actor=actor, reason=reason, at=at, request=request, detail={"series": locked.pk}
            )
        ]
        if not cancelled:
            raise BookingError("not_cancellable", _("No session of this series is still to come."))
        locked.cancelled_at = at
        locked.cancelled_by = actor
        locked.save(update_fields=["cancelled_at", "cancelled_by"])
        audit_record(
            actor=actor,
            action="series.cancelled",
            target=locked,
            subject=locked.client_id,
            request=request,
            detail={"reason": reason, "cancelled": [session.pk for session in cancelled]},
        )
        _series_notify(series=locked, event="cancelled")
    return cancelled


def _series_notify(*, series: SessionSeries, event: str) -> None:
    """A notice on both parties' open pages, each in their language, and one e-mail each (sessions.tasks)."""
    first = series.sessions.order_by("starts_at").first()
    for person in (series.client, series.counselor):
        with translation.override(language_of(person)):
            notice = {
                "type": f"series.{event}",
                "kind": f"series_{event}",
                "id": series.pk,
                "series_id": series.pk,
                "title": _("Weekly sessions booked") if event == "booked" else _("Weekly sessions cancelled"),
                "url": reverse("sessions:session_detail", args=[first.pk]) if first else reverse("dashboard"),
                "link": _("Open"),
            }
        notify_user_on_commit(user_id=person.pk, payload=notice)
    transaction.on_commit(lambda: tasks.series_email_send.delay(series.pk, event))


def _cancel_locked(
    *, session: CounselingSession, actor, reason: str, at: datetime, request, detail: dict | None = None
) -> bool:
    previous = session.state
    late = session.starts_at - at < timedelta(hours=settings.SESSION_CANCEL_NOTICE_HOURS)
    # Only the client's own late cancellation can count against them; the counselor's never does, nor does the
    # withdrawal of a request the counselor had not accepted.
    charged = late and actor is not None and actor.pk == session.client_id and previous != SessionState.REQUESTED
    moved = CounselingSession.objects.filter(
        pk=session.pk, state__in=(SessionState.REQUESTED, SessionState.SCHEDULED, SessionState.OPEN)
    ).update(
        state=SessionState.CANCELLED,
        cancelled_at=at,
        cancelled_by=actor,
        cancel_reason=reason[:32],
        cancelled_late=late,
        late_charged_to_client=charged,
    )
    if not moved:
        return False
    _request_close(session=session, outcome=RequestOutcome.WITHDRAWN, by=actor, at=at)
    session.refresh_from_db()
    audit_record(
        actor=actor,
        action="session.cancelled",
        target=session,
        subject=session.client_id,
        request=request,
        detail={"reason": reason[:32], "late": late, "from_state": previous, **(detail or {})},
    )
    conversation_id = (
        Conversation.objects.filter(client_id=session.client_id, counselor_id=session.counselor_id)
        .values_list("pk", flat=True)
        .first()
    )
    if conversation_id and previous == SessionState.OPEN:
        chat_close_on_commit(conversation_id=conversation_id, reason="session_cancelled")
    return True


def session_cancel(
    *, session: CounselingSession, actor, reason: str, request=None, at: datetime | None = None
) -> CounselingSession:
    """Cancel a scheduled or open session; both parties are told. `reason` is a code, never free text.

    Inside the notice window (SESSION_CANCEL_NOTICE_HOURS) a cancellation still goes through (no one
    is made to attend a session) and is recorded as late.
    """
    at = at or now()
    if not reason or (reason not in CANCEL_REASONS and reason not in SYSTEM_CANCEL_REASONS):
        raise BookingError("reason_required", _("Please choose a reason."))
    with transaction.atomic():
        session = CounselingSession.objects.select_for_update().get(pk=session.pk)
        if session.state == SessionState.REQUESTED and actor is not None and actor.pk == session.counselor_id:
            raise BookingError("decline_instead", _("Accept or decline this request instead."))
        if not _cancel_locked(session=session, actor=actor, reason=reason, at=at, request=request):
            raise BookingError("not_cancellable", _("This session can no longer be cancelled."))
        _session_notify(session=session, event="cancelled")
    return session


def session_reschedule(
    *,
    session: CounselingSession,
    actor,
    new_starts_at: datetime,
    reason: str = "",
    request=None,
    at: datetime | None = None,
) -> CounselingSession:
    """Move a session to another free slot, in one transaction: the old one is cancelled, a new one booked.

    A client may reschedule only before the notice window; the counselor may at any time, but must give a
    reason (a code of CANCEL_REASONS), which the client is told in their language. The new session passes
    the booking gates at its own time.
    """
    at = at or now()
    by_counselor = actor.pk == session.counselor_id
    if by_counselor and session.state == SessionState.REQUESTED:
        raise BookingError("decline_instead", _("Accept or decline this request instead."))
    if (by_counselor or reason) and reason not in CANCEL_REASONS:
        raise BookingError("reason_required", _("Please choose a reason."))
    if actor.pk == session.client_id and session.starts_at - at < timedelta(hours=settings.SESSION_CANCEL_NOTICE_HOURS):
        raise BookingError(
            "inside_notice_window",
            _("Sessions can be rescheduled up to %(hours)s hours before they start. You can still cancel.")
            % {"hours": settings.SESSION_CANCEL_NOTICE_HOURS},
        )
    with transaction.atomic():
        old = CounselingSession.objects.select_for_update().select_related("client", "counselor").get(pk=session.pk)
        if not _cancel_locked(
            session=old, actor=actor, reason="rescheduled", at=at, request=request, detail={"why": reason}
        ):
            raise BookingError("not_cancellable", _("This session can no longer be rescheduled."))
        new = session_book(
            client=old.client,
            counselor=old.counselor,
            starts_at=new_starts_at,
            request=request,
            at=at,
            actor=actor,
            rescheduled_from=old,
            medium=old.medium,  # moved, not changed: the way they meet stays as chosen
        )
        if reason:
            new.reschedule_reason = reason
            new.save(update_fields=["reschedule_reason"])
        audit_record(
            actor=actor,
            action="session.rescheduled",
            target=new,
            subject=new.client_id,
            request=request,
            detail={"from_session": old.pk, "reason": reason, "by": "counselor" if by_counselor else "client"},
        )
        _session_notify(session=new, event="rescheduled")
    return new


def _move(*, session: CounselingSession, to: str, from_states, actor, request=None, detail=None, **fields) -> bool:
    """The one way a session changes state: conditional on the current state, audit-logged once."""
    moved = CounselingSession.objects.filter(pk=session.pk, state__in=from_states).update(state=to, **fields)
    if not moved:
        return False
    previous = session.state
    session.refresh_from_db()
    audit_record(
        actor=actor,
        action=f"session.{to}",
        target=session,
        subject=session.client_id,
        request=request,
        detail={"from_state": previous, **(detail or {})},
    )
    for user_id in (session.client_id, session.counselor_id):
        notify_user_on_commit(user_id=user_id, payload={"kind": "session_state", "session_id": session.pk, "state": to})
    return True


def session_open(*, session: CounselingSession, at: datetime | None = None) -> bool:
    """Open the session's chat, from SESSION_OPEN_MINUTES_BEFORE its start. False if not due or already moved."""
    at = at or now()
    if at < session.starts_at - timedelta(minutes=settings.SESSION_OPEN_MINUTES_BEFORE) or at >= session.ends_at:
        return False
    with transaction.atomic():
        return _move(
            session=session, to=SessionState.OPEN, from_states=[SessionState.SCHEDULED], actor=None, opened_at=at
        )


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
        return _move(
            session=session,
            to=SessionState.IN_PROGRESS,
            from_states=[SessionState.OPEN],
            actor=actor,
            request=request,
            started_at=at,
        )


def session_complete(*, session: CounselingSession, actor, request=None, at: datetime | None = None) -> bool:
    """End a session that took place (the counselor, or the beat job after its planned end)."""
    at = at or now()
    with transaction.atomic():
        done = _move(
            session=session,
            to=SessionState.COMPLETED,
            from_states=[SessionState.IN_PROGRESS],
            actor=actor,
            request=request,
            finished_at=at,
        )
        if done:
            conversation_id = (
                Conversation.objects.filter(client_id=session.client_id, counselor_id=session.counselor_id)
                .values_list("pk", flat=True)
                .first()
            )
            if conversation_id:
                chat_close_on_commit(conversation_id=conversation_id, reason="session_ended")
        return done


def session_mark_no_show(*, session: CounselingSession, actor, request=None, at: datetime | None = None) -> bool:
    """Record that the client did not come: by the counselor from SESSION_NO_SHOW_AFTER_MINUTES after the
    start, or by the beat job once the whole slot passed with nobody starting it."""
    at = at or now()
    if at < session.starts_at + timedelta(minutes=settings.SESSION_NO_SHOW_AFTER_MINUTES):
        raise BookingError(
            "too_early",
            _("A no-show can be recorded %(minutes)s minutes after the start.")
            % {"minutes": settings.SESSION_NO_SHOW_AFTER_MINUTES},
        )
    with transaction.atomic():
        return _move(
            session=session,
            to=SessionState.NO_SHOW,
            from_states=[SessionState.SCHEDULED, SessionState.OPEN],
            actor=actor,
            request=request,
            finished_at=at,
        )


def session_advance(*, session: CounselingSession, at: datetime | None = None) -> CounselingSession:
    """Apply the moves that time and chat activity decide. Safe to run twice; used by the beat job and on read.

    An open session whose client has written in its chat, or whose call connected, is in progress (from the
    first of those): the chat's gates already admitted them, so no separate "start" click is needed.
    """
    at = at or now()
    if session.state == SessionState.REQUESTED:
        session_request_expire(session=session, at=at)
        session.refresh_from_db()
    if session.state == SessionState.SCHEDULED:
        session_open(session=session, at=at)
    if session.state == SessionState.OPEN:
        first = (
            Message.objects.filter(session=session, sender_id=session.client_id)
            .order_by("created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        # A video or voice session whose call connected is under way too, from that moment.
        connected = (
            CallEvent.objects.filter(session=session, kind=CallEventKind.CONNECTED)
            .order_by("at")
            .values_list("at", flat=True)
            .first()
        )
        first = min((moment for moment in (first, connected) if moment is not None), default=None)
        if first is not None:
            with transaction.atomic():
                _move(
                    session=session,
                    to=SessionState.IN_PROGRESS,
                    from_states=[SessionState.OPEN],
                    actor=None,
                    started_at=first,
                    detail={"by": "chat_activity"},
                )
    if session.state in (SessionState.SCHEDULED, SessionState.OPEN) and at >= session.ends_at:
        session_mark_no_show(session=session, actor=None, at=at)
    if session.state == SessionState.IN_PROGRESS and at >= session.ends_at + AUTO_COMPLETE_AFTER:
        session_complete(session=session, actor=None, at=at)
    return session


def sessions_advance_due(*, at: datetime | None = None, batch_size: int = 500) -> int:
    """Advance every session whose state time has come, and expire the requests nobody answered in time; returns
    how many were looked at."""
    at = at or now()
    expired = session_requests_expire_due(at=at, batch_size=batch_size)
    opening = Q(
        state=SessionState.SCHEDULED, starts_at__lte=at + timedelta(minutes=settings.SESSION_OPEN_MINUTES_BEFORE)
    )
    overdue = Q(state=SessionState.OPEN, ends_at__lte=at)
    running = Q(state=SessionState.IN_PROGRESS, ends_at__lte=at - AUTO_COMPLETE_AFTER)
    due = list(CounselingSession.objects.filter(opening | overdue | running).order_by("starts_at")[:batch_size])
    client_wrote = Message.objects.filter(session=OuterRef("pk"), sender=OuterRef("client"))
    due += list(
        CounselingSession.objects.filter(state=SessionState.OPEN)
        .filter(Exists(client_wrote))
        .exclude(pk__in=[s.pk for s in due])
        .order_by("starts_at")[:batch_size]
    )
    for session in due:
        session_advance(session=session, at=at)
    return len(due) + expired


def sessions_remind_due(*, at: datetime | None = None, batch_size: int = 500) -> int:
    """Send each upcoming session's reminder once (claimed by a conditional update)."""
    at = at or now()
    horizon = at + timedelta(hours=settings.SESSION_REMINDER_HOURS_BEFORE)
    candidates = CounselingSession.objects.filter(
        state=SessionState.SCHEDULED,
        reminder_sent_at__isnull=True,
        starts_at__gt=at,
        starts_at__lte=horizon,
    ).values_list("pk", flat=True)[:batch_size]
    sent = 0
    for session_id in list(candidates):
        with transaction.atomic():
            if CounselingSession.objects.filter(pk=session_id, reminder_sent_at__isnull=True).update(
                reminder_sent_at=at
            ):
                sent += 1
                session = CounselingSession.objects.get(pk=session_id)
                audit_record(actor=None, action="session.reminder_sent", target=session, subject=session.client_id)
                _session_notify(session=session, event="reminder")
    return sent


def availability_weekly_add(*, counselor, weekday: int, start_time, end_time, request=None) -> WeeklyAvailability:
    with transaction.atomic():
        row = WeeklyAvailability.objects.create(
            counselor=counselor, weekday=weekday, start_time=start_time, end_time=end_time
        )
        audit_record(
            actor=counselor,
            action="availability.weekly_added",
            target=row,
            request=request,
            detail={"weekday": weekday, "from": start_time.isoformat(), "until": end_time.isoformat()},
        )
    return row


def availability_exception_add(
    *, counselor, date, kind: str, start_time=None, end_time=None, request=None
) -> AvailabilityException:
    with transaction.atomic():
        row = AvailabilityException.objects.create(
            counselor=counselor, date=date, kind=kind, start_time=start_time, end_time=end_time
        )
        audit_record(
            actor=counselor,
            action="availability.exception_added",
            target=row,
            request=request,
            detail={"date": date.isoformat(), "kind": kind},
        )
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


def calendar_feed_reset(*, user, request=None) -> str:
    """Make a new secret address for `user`'s calendar feed and return its token (shown once: only its SHA-256 is
    kept). The old address, if any, stops working at once."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        replaced = CalendarFeed.objects.filter(user=user).exists()
        CalendarFeed.objects.update_or_create(
            user=user, defaults={"token_sha256": feed_token_digest(token), "created_at": now()}
        )
        audit_record(
            actor=user,
            action="calendar_feed.reset" if replaced else "calendar_feed.created",
            target=user,
            request=request,
        )
    return token


def calendar_feed_remove(*, user, request=None) -> bool:
    """Turn the calendar feed off: its address stops working."""
    with transaction.atomic():
        removed, _count = CalendarFeed.objects.filter(user=user).delete()
        if removed:
            audit_record(actor=user, action="calendar_feed.removed", target=user, request=request)
    return bool(removed)


def referral_create(*, counselor, client, reason: str, destination: str, request=None) -> Referral:
    """Record a referral to in-person care; sealed under the client's key, kept, and shown to the client."""
    with transaction.atomic():
        referral = Referral(client=client, counselor=counselor, created_at=now())
        referral.reason_sealed = seal(owner_id=client.pk, plaintext=reason, context=referral.reason_context)
        referral.destination_sealed = seal(
            owner_id=client.pk, plaintext=destination, context=referral.destination_context
        )
        referral.save()
        audit_record(actor=counselor, action="referral.created", target=referral, subject=client, request=request)
        with translation.override(language_of(client)):
            notice = {
                "type": "referral.created",
                "kind": "referral_created",
                "id": referral.pk,
                "referral_id": referral.pk,
                "title": _("Your counselor recorded a referral to in-person care for you"),
                "url": reverse("client_home"),
                "link": _("Open"),
            }
        notify_user_on_commit(user_id=client.pk, payload=notice)
    return referral


def session_location_confirm(*, session, client, country: str, region: str = "", landmark: str = "", request=None):
    """The client says where they are now, before this session (ACA H.1.b: the law of the client's
    location applies). Stored with the session; drives the jurisdiction gate and emergency numbers.

    `landmark`: optional, where exactly ("Jl. Malioboro 12, near the mosque"), so that help can be sent.
    Sealed under the client's data key; each confirmation replaces it, and an empty one removes it."""
    if session.client_id != client.pk:
        raise PermissionDenied
    if session.state in (SessionState.COMPLETED, SessionState.CANCELLED, SessionState.NO_SHOW):
        raise ValidationError(_("This session has ended."))
    country = country.strip().upper()
    region = region.strip().upper()
    problem = region_error(country=country, region=region)
    if len(country) != 2 or not country.isalpha() or problem:
        raise ValidationError(problem or _("Choose a country."))
    with transaction.atomic():
        session.location_country = country
        session.location_region = region
        session.location_confirmed_at = now()
        landmark = (landmark or "").strip()
        session.location_landmark_sealed = (
            seal(owner_id=client.pk, plaintext=landmark, context=session.landmark_aad) if landmark else None
        )
        session.save(
            update_fields=["location_country", "location_region", "location_confirmed_at", "location_landmark_sealed"]
        )
        changed = session_location_change(session=session) is not None
        audit_record(
            actor=client,
            action="session.location_confirmed",
            target=session,
            subject=client,
            request=request,
            detail={"differs_from_intake": changed, "landmark_given": bool(landmark)},
        )
        with translation.override(language_of(session.counselor)):
            facts = {"name": session.client.display_name}
            notice = {
                "type": "session.location_confirmed",
                "id": session.pk,
                "session_id": session.pk,
                "differs_from_intake": changed,
                "title": _("%(name)s confirmed where they are for the session, not the place in their intake") % facts
                if changed
                else _("%(name)s confirmed where they are for the session") % facts,
                "url": reverse("sessions:session_detail", args=[session.pk]),
                "link": _("Open"),
            }
        notify_user_on_commit(user_id=session.counselor_id, payload=notice)
    return session


def clients_tell_of_licence_lapse(*, licence, at: datetime) -> int:
    """The counselor may no longer counsel in this licence's jurisdiction: tell the clients there.

    Each affected client gets one notice (kept, and pushed to their open pages) offering another
    counselor or an in-person referral; open chats are told to re-check the gate and close.
    Returns how many clients were newly told. Must run inside the caller's transaction.
    """
    counselor = licence.counselor
    still_practising = bool(public_licences(counselor=counselor, at=at))
    told = 0
    for client in User.objects.filter(pk__in=clients_of_counselor(counselor=counselor)).select_related(
        "client_profile"
    ):
        place = client_location(client=client)
        country, region = (place.country, place.region) if place else ("", "")
        if country:
            if not licence.jurisdiction.covers(country=country, region=region):
                continue
            if jurisdiction_gate(counselor=counselor, country=country, region=region, at=at):
                continue
        elif still_practising:
            continue
        notice, created = LapseNotice.objects.get_or_create(
            client=client, licence=licence, defaults={"counselor": counselor}
        )
        if not created:
            continue
        told += 1
        audit_record(
            actor=None,
            action="licence.client_notified_of_lapse",
            target=licence,
            subject=client,
            detail={"counselor_id": counselor.pk, "notice_id": notice.pk},
        )
        language = getattr(getattr(client, "client_profile", None), "preferred_language", None) or "en"
        with translation.override(language):
            message = _(
                "Your counselor %(name)s may no longer counsel you where you are, because their "
                "licence there is no longer valid. You can choose another counselor, or ask for a "
                "referral to face-to-face care."
            ) % {"name": counselor.display_name}
            title = _("Your counselor can no longer counsel you where you are")
            link = _("Counselors")
        notify_user_on_commit(
            user_id=client.pk,
            payload={
                "type": "licence.counselor_lapsed",
                "id": licence.pk,
                "counselor_id": counselor.pk,
                "title": title,
                "body": message,
                "message": message,
                "url": reverse("licensing:directory"),
                "link": link,
            },
        )
    for conversation_id in Conversation.objects.filter(counselor=counselor).values_list("pk", flat=True):
        chat_close_on_commit(conversation_id=conversation_id, reason="licence_lapsed")
    return told
