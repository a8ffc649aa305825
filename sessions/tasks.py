"""Celery tasks of the sessions app: thin, by id, safe to run twice."""

from celery import shared_task
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from counseling.mail import email_person
from counseling.notifications import site_link
from licensing.selectors import refusal_message
from sessions import services
from sessions.chat import drops, notices
from sessions.models import CounselingSession, SessionSeries, SessionState
from sessions.selectors import (
    REASONS_TOLD,
    client_zone,
    counselor_change_told,
    counselor_zone,
    location_confirmation_prompt,
    request_outcome_told,
    series_starts,
    session_times,
)


@shared_task(name="sessions.tasks.session_email_send")
def session_email_send(session_id: int, event: str) -> int:
    """E-mail both parties about a session, each in their language, with BOTH time zones."""
    session = (
        CounselingSession.objects.select_related("client__client_profile", "counselor__counselor_profile")
        .filter(pk=session_id)
        .first()
    )
    if session is None:
        return 0
    sent = 0
    pairs = [(session.client, session.counselor), (session.counselor, session.client)]
    if event in ("accepted", "declined"):  # the counselor answered it themselves: only the client is told
        pairs = pairs[:1]
    for viewer, other in pairs:
        times = session_times(session=session, viewer=viewer)
        is_counselor = viewer.pk == session.counselor_id
        link_path = (
            reverse("sessions:session_request", args=[session.pk])
            if event == "requested" and is_counselor
            else reverse("sessions:session_detail", args=[session.pk])
        )
        prompt = (
            location_confirmation_prompt(session=session, viewer=viewer, zone=times["mine_start"].tzinfo)
            if event in ("booked", "rescheduled", "reminder", "accepted")
            else None
        )
        sent += email_person(
            recipient=viewer,
            subject=lambda: services.session_event_title(event),
            on_commit=False,
            link_path=link_path,
            body=lambda link, viewer=viewer, other=other, times=times, prompt=prompt, mine=is_counselor: (
                render_to_string(
                    "sessions/session_email.txt",
                    {
                        "event": event,
                        "session": session,
                        "times": times,
                        "other_name": other.display_name,
                        "viewer": viewer,
                        "site_name": settings.SITE_NAME,
                        "link": link,
                        "location_confirmation": prompt and {**prompt, "link": site_link(prompt["path"])},
                        "change_told": counselor_change_told(session=session, viewer=viewer)
                        if event in ("cancelled", "rescheduled")
                        else "",
                        "is_counselor": mine,
                        "request_told": request_outcome_told(session=session, viewer=viewer)
                        if event in ("declined", "expired")
                        else "",
                        "directory_link": site_link(reverse("licensing:directory")),
                        "answer_by": getattr(getattr(session, "booking_request", None), "expires_at", None),
                    },
                )
            ),
        )
    return sent


def _series_stop_reason(code: str) -> str:
    """Why a series stopped, in the active language: the licensing gate's own words, or a general one."""
    try:
        return refusal_message(code)
    except KeyError:
        return _("a condition for booking is not met on those dates")


@shared_task(name="sessions.tasks.series_email_send")
def series_email_send(series_id: int, event: str) -> int:
    """E-mail both parties about a weekly series ("booked" or "cancelled"), each in their language and time zone:
    the dates concerned, and for a series that stopped early, from when and why."""
    series = (
        SessionSeries.objects.select_related("client__client_profile", "counselor__counselor_profile")
        .filter(pk=series_id)
        .first()
    )
    if series is None:
        return 0
    rows = list(series.sessions.order_by("starts_at"))
    if event == "cancelled":
        rows = [row for row in rows if row.state == SessionState.CANCELLED and row.cancelled_at == series.cancelled_at]
    else:
        rows = [row for row in rows if row.state != SessionState.CANCELLED]
    booked = [row.starts_at for row in series.sessions.order_by("starts_at")]
    not_booked = []
    if event == "booked" and series.stopped_reason and booked:
        planned = series_starts(counselor=series.counselor, first_starts_at=booked[0], weeks=series.weeks_asked)
        not_booked = planned[len(booked) :]
    sent = 0
    for viewer, other in ((series.client, series.counselor), (series.counselor, series.client)):
        zone = client_zone(viewer) if viewer.pk == series.client_id else counselor_zone(viewer)
        first = rows[0] if rows else None

        def body(link, viewer=viewer, other=other, zone=zone, first=first):
            reason_told = ""
            if (
                event == "cancelled"
                and viewer.pk == series.client_id
                and series.cancelled_by_id == series.counselor_id
                and first is not None
                and first.cancel_reason in REASONS_TOLD
            ):
                reason_told = str(REASONS_TOLD[first.cancel_reason])
            return render_to_string(
                "sessions/series_email.txt",
                {
                    "event": event,
                    "other_name": other.display_name,
                    "zone": zone.key,
                    "starts": [row.starts_at.astimezone(zone) for row in rows],
                    "not_booked": [start.astimezone(zone) for start in not_booked],
                    "stop_reason": _series_stop_reason(series.stopped_reason) if not_booked else "",
                    "reason_told": reason_told,
                    "link": link,
                },
            )

        sent += email_person(
            recipient=viewer,
            subject=lambda: _("Weekly sessions booked") if event == "booked" else _("Weekly sessions cancelled"),
            on_commit=False,
            link_path=reverse("sessions:session_detail", args=[first.pk]) if first else "",
            body=body,
        )
    return sent


@shared_task(name="sessions.tasks.sessions_advance")
def sessions_advance() -> int:
    return services.sessions_advance_due()


@shared_task(name="sessions.tasks.sessions_remind")
def sessions_remind() -> int:
    return services.sessions_remind_due()


@shared_task(name="sessions.tasks.message_emails_send")
def message_emails_send() -> int:
    return notices.message_emails_send()


@shared_task(name="sessions.tasks.reply_reminders_send")
def reply_reminders_send() -> int:
    return notices.reply_reminders_send()


@shared_task(name="sessions.tasks.session_drops_check")
def session_drops_check() -> int:
    return drops.session_drops_check()
