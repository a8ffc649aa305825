"""Celery tasks of the sessions app: thin, by id, safe to run twice."""

from celery import shared_task
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from counseling.mail import email_person
from counseling.notifications import site_link
from sessions import services
from sessions.chat import drops, notices
from sessions.models import CounselingSession
from sessions.selectors import location_confirmation_prompt, session_times


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
    for viewer, other in ((session.client, session.counselor), (session.counselor, session.client)):
        times = session_times(session=session, viewer=viewer)
        prompt = (
            location_confirmation_prompt(session=session, viewer=viewer, zone=times["mine_start"].tzinfo)
            if event in ("booked", "rescheduled", "reminder")
            else None
        )
        sent += email_person(
            recipient=viewer,
            subject=lambda: services.session_event_title(event),
            on_commit=False,
            link_path=reverse("sessions:session_detail", args=[session.pk]),
            body=lambda link, viewer=viewer, other=other, times=times, prompt=prompt: render_to_string(
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
                },
            ),
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
