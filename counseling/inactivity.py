"""Signing out after inactivity (ACA H.2.c; HIPAA 164.312(a)(2)(iii)), the same rule for pages and chat sockets.

A person is inactive when neither a page request nor something they did on a chat socket (sending,
typing, answering the code word, asking for help) was recorded in their Django session for
INACTIVITY_TIMEOUT_SECONDS. Frames a page sends by itself (read receipts, resync, pings) do not count.
"""

from __future__ import annotations

from datetime import datetime
from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY as AUTH_SESSION_KEY

from counseling.audit import audit_record
from counseling.clock import now
from counseling.notifications import user_sockets_close_on_commit

SESSION_KEY = "last_activity"


def activity_seen_at(*, session) -> float | None:
    """When the session last recorded activity (a Unix time), or None if it never did."""
    return session.get(SESSION_KEY)


ACTIVITY_RECORD_EVERY_SECONDS = 60  # as the chat socket does; shortened for short timeouts


def activity_record(*, session, at: datetime) -> None:
    """Record a page request as activity: at most once a minute (a quarter of the timeout when that is
    shorter), so that a page costs no write to the session store each time it is loaded."""
    every = min(ACTIVITY_RECORD_EVERY_SECONDS, settings.INACTIVITY_TIMEOUT_SECONDS / 4)
    seen = activity_seen_at(session=session)
    if seen is None or at.timestamp() - seen >= every or at.timestamp() < seen:
        session[SESSION_KEY] = at.timestamp()


def _last_activity(*, session, also_active_at: float | None) -> float | None:
    seen = [moment for moment in (activity_seen_at(session=session), also_active_at) if moment is not None]
    return max(seen) if seen else None


def inactivity_expired(*, session, at: datetime, also_active_at: float | None = None) -> bool:
    """Has the person been inactive too long? `also_active_at`: activity the session has not recorded yet."""
    last = _last_activity(session=session, also_active_at=also_active_at)
    return last is not None and at.timestamp() - last > settings.INACTIVITY_TIMEOUT_SECONDS


def inactivity_sign_out(*, user, session, via: str, request=None, ip_address: str | None = None) -> None:
    """End the person's signed-in session everywhere it is used (pages and sockets alike), audited."""
    session_key = session.session_key
    audit_record(
        actor=user,
        action="auth.logout.inactivity",
        target=user,
        request=request,
        ip_address=ip_address,
        detail={"via": via},
    )
    session.flush()
    # Then the session's other sockets (the notifications, a second chat) close too, saying why.
    user_sockets_close_on_commit(user_id=user.pk, reason="inactive", session_key=session_key)


def _stored_session(session_key: str):
    """The Django session as stored now (a socket's copy is as old as the socket)."""
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)


def socket_signed_in_check(
    *, session_key: str | None, user, active_at: float | None, ip_address: str | None = None
) -> tuple[str, float]:
    """For a socket of `user` on the Django session `session_key`, whose own last activity was `active_at`:
    ("yes", seconds until the timeout is due), ("inactive", 0) after signing the person out, or ("elsewhere", 0)
    when the session has ended or belongs to someone else now (signed out on a page)."""
    timeout = settings.INACTIVITY_TIMEOUT_SECONDS
    if not session_key:
        return "yes", timeout  # no Django session behind the socket: nothing to sign out of
    session = _stored_session(session_key)
    if str(session.get(AUTH_SESSION_KEY, "")) != str(user.pk):
        return "elsewhere", 0
    at = now()
    if inactivity_expired(session=session, at=at, also_active_at=active_at):
        inactivity_sign_out(user=user, session=session, via="chat", ip_address=ip_address)
        return "inactive", 0
    last = _last_activity(session=session, also_active_at=active_at)
    return "yes", timeout if last is None else timeout - (at.timestamp() - last)


def socket_activity_record(*, session_key: str | None) -> None:
    """Record activity seen on a socket in its Django session, so pages keep the person signed in too."""
    if not session_key:
        return
    session = _stored_session(session_key)
    if session.exists(session_key):  # never bring back a session that was signed out meanwhile
        activity_record(session=session, at=now())
        session.save()
