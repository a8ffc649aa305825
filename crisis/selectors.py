"""Reads of crisis: who is on call, who may handle an escalation, the risk queue and a timeline."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from counseling import clock
from counseling.crypto import DecryptionError, open_text
from counseling.models import Role, User
from crisis.models import CLIENT_FACING, Escalation, EscalationState, OnCallShift, Rung, Severity
from sessions.models import Conversation, CounselingSession


def ack_minutes(severity: int) -> int:
    return {
        Severity.HIGH: settings.ESCALATION_ACK_MINUTES_HIGH,
        Severity.MEDIUM: settings.ESCALATION_ACK_MINUTES_MEDIUM,
    }.get(severity, settings.ESCALATION_ACK_MINUTES_LOW)


def on_call_now(*, role: str, at: datetime | None = None) -> list[User]:
    at = at or clock.now()
    return list(
        User.objects.filter(
            on_call_shifts__role=role, on_call_shifts__starts_at__lte=at, on_call_shifts__ends_at__gt=at, is_active=True
        )
        .distinct()
        .order_by("pk")
    )


def roster_gaps(*, at: datetime | None = None) -> list[str]:
    """The roster roles nobody covers right now (shown on the staff dashboard)."""
    at = at or clock.now()
    return [
        role for role in (OnCallShift.Role.ON_CALL, OnCallShift.Role.SUPERVISOR) if not on_call_now(role=role, at=at)
    ]


def counselor_of(*, client, session=None, message=None):
    """The client's counselor: of the session, of the message's conversation, else the latest one."""
    if session is not None:
        return session.counselor
    if message is not None:
        return message.conversation.counselor
    latest = CounselingSession.objects.filter(client=client).exclude(state="cancelled").order_by("-starts_at").first()
    if latest:
        return latest.counselor
    conversation = Conversation.objects.filter(client=client).order_by("-created_at").first()
    return conversation.counselor if conversation else None


def may_handle(*, user, escalation: Escalation, at: datetime | None = None) -> bool:
    """Staff who may see and act on an escalation: its counselor, anyone alerted, rostered staff, admins."""
    if not user.is_authenticated or user.role not in (Role.COUNSELOR, Role.ADMIN):
        return False
    if user.role == Role.ADMIN or escalation.counselor_id == user.pk:
        return True
    if escalation.alerts.filter(recipient=user).exists():
        return True
    at = at or clock.now()
    return OnCallShift.objects.filter(user=user, starts_at__lte=at, ends_at__gt=at).exists()


def access_escalation(*, user, escalation_id: int) -> Escalation:
    """The escalation if `user` may handle it, else 404 (never reveal that it exists)."""
    escalation = (
        Escalation.objects.select_related("client", "client__client_profile", "counselor", "session")
        .filter(pk=escalation_id)
        .first()
    )
    if escalation is None or not may_handle(user=user, escalation=escalation):
        raise Http404
    return escalation


def risk_queue(*, user, at: datetime | None = None):
    """Live escalations this person may handle, most severe first, then oldest first."""
    at = at or clock.now()
    live = (
        Escalation.objects.exclude(state=EscalationState.RESOLVED)
        .select_related("client__client_profile", "counselor")
        .order_by("-severity", "created_at")
    )
    if user.role == Role.ADMIN or OnCallShift.objects.filter(user=user, starts_at__lte=at, ends_at__gt=at).exists():
        return live
    return live.filter(Q(counselor=user) | Q(alerts__recipient=user)).distinct()


EVENT_LABELS = {
    "opened": gettext_lazy("Opened"),
    "alerted": gettext_lazy("Alerted"),
    "roster_gap": gettext_lazy("Nobody rostered: admins alerted instead"),
    "help_pressed_again": gettext_lazy("Help button pressed again"),
    "reopened": gettext_lazy("Reopened: the help button was pressed after the acknowledgement"),
    "acknowledged": gettext_lazy("Acknowledged"),
    "resolved": gettext_lazy("Resolved"),
}


def escalation_timeline(escalation: Escalation) -> list[dict]:
    """The events with their notes opened for the page (a note that fails to open says so)."""
    rows = []
    for event in escalation.events.select_related("actor").order_by("at", "pk"):
        note = ""
        if event.note_sealed:
            try:
                note = open_text(owner_id=escalation.client_id, sealed=event.note_sealed, context=event.note_aad)
            except DecryptionError:
                note = _("[this note cannot be opened]")
        rows.append(
            {
                "event": event,
                "note": note,
                "label": EVENT_LABELS.get(event.kind, event.kind),
                "rung": Rung(event.rung).label if event.rung in Rung.values else "",
            }
        )
    return rows


def client_latest_escalation(*, client) -> Escalation | None:
    return Escalation.objects.filter(client=client, kind__in=list(CLIENT_FACING)).order_by("-created_at").first()
