"""Writes of the calls: the call events of a session (started, connected, ended, failed), each audited.

Never any content: audio and video flow between the two browsers, encrypted by DTLS-SRTP, and never reach
our servers; what is stored is when, who, and how long (docs/call-protocol.md).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db import transaction

from counseling.audit import audit_record
from counseling.clock import now
from sessions.calls.selectors import live_call
from sessions.models import CallEvent, CallEventKind, CounselingSession
from sessions.services import session_advance

REPORTED_STATES = ("connected", "failed", "disconnected")


def _record(*, session, call_ref, kind, actor, at, ip_address=None, duration_seconds=None) -> CallEvent:
    event = CallEvent.objects.create(
        session=session, call_ref=call_ref, kind=kind, actor=actor, at=at, duration_seconds=duration_seconds
    )
    detail = {"session_id": session.pk, "medium": session.medium, "call": str(call_ref)}
    if duration_seconds is not None:
        detail["duration_seconds"] = duration_seconds
    audit_record(
        actor=actor,
        action=f"call.{kind}",
        target=event,
        subject=session.client_id,
        ip_address=ip_address,
        detail=detail,
    )
    return event


def _locked(session: CounselingSession) -> CounselingSession:
    # One row lock per session: both participants join, report and leave at once, and one call is recorded once.
    return CounselingSession.objects.select_for_update().get(pk=session.pk)


def call_join(
    *, session: CounselingSession, user, ip_address: str | None = None, at: datetime | None = None
) -> CallEvent:
    """A participant joined the session's call: "started" unless a call is already under way. Returns the
    call's "started" event."""
    at = at or now()
    with transaction.atomic():
        locked = _locked(session)
        started = live_call(session=locked)
        if started is None:
            started = _record(
                session=locked,
                call_ref=uuid.uuid4(),
                kind=CallEventKind.STARTED,
                actor=user,
                at=at,
                ip_address=ip_address,
            )
    return started


def call_state_report(
    *, session: CounselingSession, user, state: str, ip_address: str | None = None, at: datetime | None = None
) -> CallEvent | None:
    """A participant's browser reports its connection: "connected" once per call, "failed" once per failure (not
    again until it connected anew). "disconnected" is passing (the browser tries again by itself): not stored."""
    if state not in REPORTED_STATES:
        raise ValueError(state)
    if state == "disconnected":
        return None
    at = at or now()
    with transaction.atomic():
        locked = _locked(session)
        started = live_call(session=locked)
        if started is None:
            return None
        events = CallEvent.objects.filter(session=locked, call_ref=started.call_ref)
        if state == "connected":
            if events.filter(kind=CallEventKind.CONNECTED).exists():
                return None
            event = _record(
                session=locked,
                call_ref=started.call_ref,
                kind=CallEventKind.CONNECTED,
                actor=user,
                at=at,
                ip_address=ip_address,
            )
            session_advance(session=locked, at=at)  # a connected call puts an open session in progress
            return event
        last = events.exclude(kind=CallEventKind.STARTED).order_by("-at", "-id").first()
        if last is not None and last.kind == CallEventKind.FAILED:
            return None
        return _record(
            session=locked,
            call_ref=started.call_ref,
            kind=CallEventKind.FAILED,
            actor=user,
            at=at,
            ip_address=ip_address,
        )


def call_leave(
    *, session: CounselingSession, user, ip_address: str | None = None, at: datetime | None = None
) -> CallEvent | None:
    """A participant hung up or their socket closed: the call under way ends (a call is the two of them), with
    the seconds the two were connected (0 if they never were). Joining again starts a new call."""
    at = at or now()
    with transaction.atomic():
        locked = _locked(session)
        started = live_call(session=locked)
        if started is None:
            return None
        connected = CallEvent.objects.filter(
            session=locked, call_ref=started.call_ref, kind=CallEventKind.CONNECTED
        ).first()
        duration = max(0, int((at - connected.at).total_seconds())) if connected is not None else 0
        return _record(
            session=locked,
            call_ref=started.call_ref,
            kind=CallEventKind.ENDED,
            actor=user,
            at=at,
            ip_address=ip_address,
            duration_seconds=duration,
        )
