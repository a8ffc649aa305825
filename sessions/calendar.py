"""A person's private calendar feed (ICS, RFC 5545): their sessions, with no name and no content.

Calendar apps fetch the feed without a session cookie, from a secret address (sessions.models.CalendarFeed keeps
only the token's SHA-256). Each event says "Counseling session", its time and a link to the site, where the person
signs in for the rest: a calendar is synced to phones and other companies' servers, which are not ours to protect.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from counseling.clock import now
from counseling.mail import language_of
from counseling.notifications import site_link
from sessions.models import CalendarFeed, CounselingSession, SessionState

# Past sessions stay in the feed this long, so a calendar keeps the recent weeks; cancelled ones are sent as
# cancelled for as long, so a calendar that saw them removes them.
FEED_PAST_DAYS = 30


def feed_token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def calendar_feed_owner(*, token: str):
    """The person whose feed this token opens, or None (an unknown token, or one replaced by a reset)."""
    if not token or len(token) > 100:
        return None
    feed = CalendarFeed.objects.select_related("user").filter(token_sha256=feed_token_digest(token)).first()
    if feed is None or not feed.user.is_active:
        return None
    return feed.user


def _escape(text: str) -> str:
    """A TEXT value (RFC 5545 3.3.11)."""
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Lines longer than 75 octets are folded (RFC 5545 3.1), never inside a UTF-8 character."""
    out, current = [], ""
    for char in line:
        limit = 75 if not out else 74  # a continuation line starts with one space
        if len((current + char).encode()) > limit:
            out.append(current)
            current = char
        else:
            current += char
    out.append(current)
    return "\r\n ".join(out)


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar_ics(*, user, at: datetime | None = None) -> str:
    """The feed of `user` (a client or a counselor): their sessions from FEED_PAST_DAYS ago on, in UTC."""
    at = at or now()
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    whose = {"counselor": user} if user.is_counselor else {"client": user}
    sessions = CounselingSession.objects.filter(ends_at__gte=at - timedelta(days=FEED_PAST_DAYS), **whose).order_by(
        "starts_at", "pk"
    )
    with translation.override(language_of(user)):
        summary = _("Counseling session")
        calendar_name = _("%(site)s sessions") % {"site": settings.SITE_NAME}
        details = _("Details on the site (sign in):")
        lines = [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            f"PRODID:-//{_escape(settings.SITE_NAME)}//Sessions//EN",
            "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH",
            f"X-WR-CALNAME:{_escape(calendar_name)}",
        ]
        stamp = _utc(at)
        for session in sessions:
            link = site_link(reverse("sessions:session_detail", args=[session.pk]))
            cancelled = session.state == SessionState.CANCELLED
            requested = session.state == SessionState.REQUESTED
            lines += [
                "BEGIN:VEVENT",
                f"UID:session-{session.pk}@{host}",
                f"DTSTAMP:{stamp}",
                f"DTSTART:{_utc(session.starts_at)}",
                f"DTEND:{_utc(session.ends_at)}",
                f"SUMMARY:{_escape(summary)}",
                f"DESCRIPTION:{_escape(f'{details} {link}')}",
                f"URL:{link}",
                # A request the counselor has not accepted yet is tentative (RFC 5545 STATUS).
                f"STATUS:{'CANCELLED' if cancelled else 'TENTATIVE' if requested else 'CONFIRMED'}",
                f"SEQUENCE:{1 if cancelled else 0}",
                "CLASS:PRIVATE",
                "TRANSP:OPAQUE",
                "END:VEVENT",
            ]
        lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)
