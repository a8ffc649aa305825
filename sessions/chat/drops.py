"""A dropped session: the client's chat connection drops during a session in progress and does not come back within
CLIENT_RECONNECT_MINUTES (the consent's "If the technology fails" section). Writes: the client's socket presence
(from the chat socket), the minute sweep that finds a drop (sessions.tasks.session_drops_check), and the counselor's
record of what they did. Reads are in sessions.chat.selectors.

Presence is kept in the database, one row per client socket, not in a server process's memory: several ASGI
processes, and the sweep in its own worker, must agree on whether the client is still there. A socket that closes
says so (left_at); one whose process dies stops beating (seen_at) and counts as gone after
PRESENCE_STALE_SECONDS.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from counseling.audit import audit_record
from counseling.clock import now
from counseling.crypto import seal
from counseling.notifications import notify_user_on_commit
from sessions.chat.events import client_back_notice, client_dropped_notice
from sessions.chat.selectors import PRESENCE_STALE_SECONDS, sessions_client_away
from sessions.models import ClientPresence, CounselingSession, DropAction, SessionDrop
from sessions.selectors import counselor_zone
from sessions.signals import client_connection_dropped

log = logging.getLogger(__name__)

DROP_NOTE_MAX_CHARS = 2000


def client_socket_joined(*, session: CounselingSession, channel_name: str, at: datetime | None = None) -> None:
    """The client's chat socket joined this session. Forgets their sockets that are gone, and marks a dropped
    connection that was reported as back (the counselor's open pages are told)."""
    at = at or now()
    with transaction.atomic():
        ClientPresence.objects.filter(session=session).filter(
            Q(left_at__isnull=False) | Q(seen_at__lte=at - timedelta(seconds=PRESENCE_STALE_SECONDS))
        ).delete()
        ClientPresence.objects.update_or_create(
            channel_name=channel_name, defaults={"session": session, "connected_at": at, "seen_at": at, "left_at": None}
        )
        if SessionDrop.objects.filter(session=session, client_back_at__isnull=True).update(client_back_at=at):
            session = CounselingSession.objects.select_related(
                "client__client_profile", "counselor__counselor_profile"
            ).get(pk=session.pk)
            notify_user_on_commit(user_id=session.counselor_id, payload=client_back_notice(session=session))


def client_socket_seen(*, channel_name: str, at: datetime | None = None) -> bool:
    """The client's socket is still open (its beat, every PRESENCE_BEAT_SECONDS)."""
    alive = ClientPresence.objects.filter(channel_name=channel_name, left_at__isnull=True)
    return bool(alive.update(seen_at=at or now()))


def client_socket_left(*, channel_name: str, at: datetime | None = None) -> None:
    """The client's socket closed (the page was closed, the network dropped, the person was signed out)."""
    at = at or now()
    ClientPresence.objects.filter(channel_name=channel_name, left_at__isnull=True).update(left_at=at, seen_at=at)


def session_drops_check(*, at: datetime | None = None, limit: int = 200) -> int:
    """The minute sweep: record each session in progress whose client has been away longer than
    CLIENT_RECONNECT_MINUTES (sessions.chat.selectors.sessions_client_away), once per absence. Returns how many.
    Safe to run twice or in two workers at once: the database keeps one record per absence."""
    at = at or now()
    since = at - timedelta(minutes=settings.CLIENT_RECONNECT_MINUTES)
    found = 0
    for session_id, away_since in list(sessions_client_away(at=at, since=since)[:limit]):
        try:
            found += session_drop_open(session_id=session_id, away_since=away_since, at=at)
        except Exception:  # one session must not keep the others' counselors from being told
            log.exception("Recording the dropped connection of session %s failed; the next sweep retries", session_id)
    return found


def session_drop_open(*, session_id: int, away_since: datetime, at: datetime | None = None) -> bool:
    """Record one dropped session, tell the counselor's open pages at once, and, after the commit, send
    sessions.signals.client_connection_dropped (escalation climbs the client's open escalations). False if this
    absence was recorded already."""
    at = at or now()
    with transaction.atomic():
        session = CounselingSession.objects.select_related(
            "client__client_profile", "counselor__counselor_profile"
        ).get(pk=session_id)
        try:
            with transaction.atomic():
                drop = SessionDrop.objects.create(session=session, away_since=away_since, detected_at=at)
        except IntegrityError:
            return False  # another sweep recorded this absence first
        audit_record(
            actor=None,
            action="session.client_connection_dropped",
            target=drop,
            subject=session.client_id,
            detail={
                "session": session.pk,
                "away_since": away_since.isoformat(),
                "reconnect_minutes": settings.CLIENT_RECONNECT_MINUTES,
            },
        )
        zone = counselor_zone(session.counselor)
        notify_user_on_commit(
            user_id=session.counselor_id,
            payload=client_dropped_notice(session=session, away_since=away_since, zone=zone),
        )
        drop_id = drop.pk
        # Robust: the record stays and the counselor is told even if a receiver fails (it is logged).
        transaction.on_commit(
            lambda: client_connection_dropped.send(sender=SessionDrop, session_id=session_id, drop_id=drop_id),
            robust=True,
        )
    return True


def session_drop_record(
    *, drop: SessionDrop, counselor, actions: list[str], note: str = "", at: datetime | None = None, request=None
) -> SessionDrop:
    """The session's counselor records what they did about the dropped connection: one or more DropAction values
    and an optional note, sealed under the client's data key. Once per drop. Raises PermissionDenied for anyone
    but the session's counselor, ValidationError for no or unknown actions, a too long note, or a second record."""
    if counselor.pk != drop.session.counselor_id:
        raise PermissionDenied
    if set(actions or []) - set(DropAction.values):
        raise ValidationError(_("Unknown action."))
    chosen = [value for value in DropAction.values if value in set(actions or [])]
    if not chosen:
        raise ValidationError(_("Choose at least one thing you did."))
    note = (note or "").strip()
    if len(note) > DROP_NOTE_MAX_CHARS:
        raise ValidationError(_("The note is too long (at most %(n)s characters).") % {"n": DROP_NOTE_MAX_CHARS})
    at = at or now()
    with transaction.atomic():
        claimed = SessionDrop.objects.filter(pk=drop.pk, recorded_at__isnull=True).update(
            actions=chosen,
            note_sealed=seal(owner_id=drop.session.client_id, plaintext=note, context=drop.note_aad) if note else None,
            recorded_at=at,
            recorded_by=counselor,
        )
        if not claimed:
            raise ValidationError(_("What you did about this dropped connection is already recorded."))
        audit_record(
            actor=counselor,
            action="session.drop_action_recorded",
            target=drop,
            subject=drop.session.client_id,
            request=request,
            detail={"session": drop.session_id, "actions": chosen, "note": bool(note)},
        )
    drop.refresh_from_db()
    return drop


def session_drop_panel_viewed_record(*, user, session: CounselingSession, request=None) -> None:
    """Audit the counselor's read of the client's plan for a dropped connection and their phone."""
    audit_record(
        actor=user, action="session.drop_plan_viewed", target=session, subject=session.client_id, request=request
    )
