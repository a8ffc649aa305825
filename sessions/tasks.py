"""Celery tasks of the sessions app: thin, by id, safe to run twice."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from counseling.notifications import site_link
from sessions.models import CounselingSession
from sessions.selectors import location_confirmation_prompt, session_times
from sessions import services


def _language_of(user) -> str:
    profile = getattr(user, "client_profile", None)
    if profile is not None:
        return profile.preferred_language
    profile = getattr(user, "counselor_profile", None)
    codes = profile.language_codes if profile is not None else []
    return codes[0] if codes and codes[0] in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _subject(event: str) -> str:
    return {
        "booked": _("Session booked"),
        "cancelled": _("Session cancelled"),
        "rescheduled": _("Session rescheduled"),
        "reminder": _("Reminder: your session is coming up"),
    }.get(event, _("Session update"))


@shared_task(name="sessions.tasks.session_email_send")
def session_email_send(session_id: int, event: str) -> int:
    """E-mail both parties about a session, each in their language, with BOTH time zones."""
    session = CounselingSession.objects.select_related(
        "client__client_profile", "counselor__counselor_profile").filter(pk=session_id).first()
    if session is None:
        return 0
    sent = 0
    for viewer, other in ((session.client, session.counselor), (session.counselor, session.client)):
        times = session_times(session=session, viewer=viewer)
        prompt = location_confirmation_prompt(session=session, viewer=viewer, zone=times["mine_start"].tzinfo) \
            if event in ("booked", "rescheduled", "reminder") else None
        with translation.override(_language_of(viewer)):
            body = render_to_string("sessions/session_email.txt", {
                "event": event, "session": session, "times": times,
                "other_name": other.display_name, "viewer": viewer, "site_name": settings.SITE_NAME,
                "link": site_link(reverse("sessions:session_detail", args=[session.pk])),
                "location_confirmation": prompt and {**prompt, "link": site_link(prompt["path"])},
            })
            sent += send_mail(f"{settings.SITE_NAME}: {_subject(event)}", body, None, [viewer.email],
                              fail_silently=True)
    return sent


@shared_task(name="sessions.tasks.sessions_advance")
def sessions_advance() -> int:
    return services.sessions_advance_due()


@shared_task(name="sessions.tasks.sessions_remind")
def sessions_remind() -> int:
    return services.sessions_remind_due()
