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
    Conversation,
    CounselingSession,
    Message,
    Referral,
    SessionMedium,
    SessionSeries,
    SessionState,
    WeeklyAvailability,
)
from sessions.selectors import (
    booking_gate,
    client_location,
    client_zone,
    clients_of_counselor,
    counselor_change_told,
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
            .filter(client=client, state__in=[SessionState.SCHEDULED, SessionState.OPEN], ends_at__gt=at)
            .order_by("starts_at")
        )
        for session in due:
            moved = CounselingSession.objects.filter(pk=session.pk, state=session.state).update(
                state=SessionState.CANCELLED, cancelled_at=at, cancelled_by=actor, cancel_reason="consent_withdrawn"
            )
            if not moved:
                continue
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
SYSTEM_CANCEL_REASONS = {"rescheduled", "consent_withdrawn", "series_cancelled"}

# A session that was started is completed automatically this long after its planned end.
AUTO_COMPLETE_AFTER = timedelta(minutes=30)
LIVE_STATES = (SessionState.SCHEDULED, SessionState.OPEN, SessionState.IN_PROGRESS)


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
            },
        )
        if rescheduled_from is None and series is None:
            _session_notify(session=session, event="booked")
    return session


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
    # Only the client's own late cancellation can count against them; the counselor's never does.
    charged = late and actor is not None and actor.pk == session.client_id
    moved = CounselingSession.objects.filter(
        pk=session.pk, state__in=(SessionState.SCHEDULED, SessionState.OPEN)
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
    """Advance every session whose state time has come; returns how many were looked at."""
    at = at or now()
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
    return len(due)


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
