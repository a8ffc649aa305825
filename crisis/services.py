"""Emergency escalation: signals open an Escalation row, alerts climb a ladder on timers.

The rules (MISSION.md, Emergencies; ACA H.2.a; HHS telebehavioral-health guidance):
- five signals open an escalation: the help button, a risk phrase in a client's message, a client
  message left unanswered past the promised time, a location confirmed with no emergency plan, a code
  word that did not match at a session;
- exactly one escalation per signal (Escalation.dedupe_key is unique);
- the counselor is alerted at once in the browser and by e-mail; if nobody acknowledges within N
  minutes the alert climbs to the on-call counselor, then a supervisor; an empty rung alerts the
  admins instead, and the gap shows on the staff dashboard;
- the client sees at once the emergency numbers for the place they confirmed and that a person
  has been alerted. The system assists a person's decision: it never calls emergency services.

Reliability: the Escalation and EscalationAlert rows are the record of truth. Tasks are enqueued
on commit and carry ids only; every step is claimed by a conditional update, so a repeated task
delivery cannot alert twice; the sweep (every minute) re-drives whatever a lost task or a dead
worker left behind. Message text is decrypted only inside `message_risk_check`, never logged.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from clinical.models import MeasureResponse
from clinical.selectors_measures import phq9_item9_answer
from counseling import clock
from counseling.audit import audit_record
from counseling.crypto import DecryptionError, open_text, seal
from counseling.mail import email_person, language_of
from counseling.models import Role, User
from counseling.notifications import notify_user_now
from crisis import tasks
from crisis.models import (
    CLIENT_FACING,
    LADDER,
    Escalation,
    EscalationAlert,
    EscalationEvent,
    EscalationKind,
    EscalationState,
    OnCallShift,
    Rung,
    Severity,
)
from crisis.risk import risk_match
from crisis.selectors import (
    COVER_REASONS,
    ack_minutes,
    counselor_of,
    cover_pickup_refusal,
    cover_role,
    drill_report,
    escalation_conversation,
    on_call_now,
    rung_minutes,
)
from identity.numbers import emergency_numbers
from identity.selectors import intake_for
from sessions.chat.services import conversation_get_or_create, cover_open, covers_end
from sessions.models import CounselingSession, Message
from sessions.selectors import client_location

log = logging.getLogger(__name__)


def _event(escalation: Escalation, kind: str, *, at, actor=None, rung: str = "", note: str = "") -> EscalationEvent:
    event = EscalationEvent(escalation=escalation, at=at, kind=kind, actor=actor, rung=rung)
    if note:
        event.note_ref = str(uuid.uuid4())
        event.note_sealed = seal(owner_id=escalation.client_id, plaintext=note, context=event.note_aad)
    event.save()
    return event


def _recipients(escalation: Escalation, rung: str, at) -> tuple[list[User], bool]:
    """Who to alert on a rung, and whether the rung was empty (then the admins stand in)."""
    if rung == Rung.COUNSELOR:
        people = [escalation.counselor] if escalation.counselor_id and escalation.counselor.is_active else []
    elif rung == Rung.ON_CALL:
        people = [u for u in on_call_now(role=OnCallShift.Role.ON_CALL, at=at) if u.pk != escalation.counselor_id]
    elif rung == Rung.SUPERVISOR:
        people = on_call_now(role=OnCallShift.Role.SUPERVISOR, at=at)
    else:
        people = []
    if people:
        return people, False
    admins = list(User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk"))
    return admins, True


def _enter_rung(escalation: Escalation, rung: str, *, at) -> int:
    """Create the alerts of one rung (inside the caller's transaction) and record the step."""
    people, gap = _recipients(escalation, rung, at)
    if gap:
        _event(escalation, "roster_gap", at=at, rung=rung)
        audit_record(
            actor=None,
            action="escalation.roster_gap",
            target=escalation,
            subject=escalation.client_id,
            detail={"rung": rung},
        )
    created = 0
    for person in people:
        _alert, made = EscalationAlert.objects.get_or_create(
            escalation=escalation, rung=Rung.ADMIN if gap else rung, recipient=person, defaults={"created_at": at}
        )
        created += made
    _event(escalation, "alerted", at=at, rung=rung)
    audit_record(
        actor=None,
        action="escalation.step",
        target=escalation,
        subject=escalation.client_id,
        detail={"rung": rung, "recipients": [p.pk for p in people], "admins_instead": gap},
    )
    return created


def _next_rung(rung: str) -> str | None:
    index = LADDER.index(rung) if rung in LADDER else len(LADDER)
    return LADDER[index + 1] if index + 1 < len(LADDER) else None


def _enqueue(task_name: str, *args, countdown: float | None = None) -> None:
    task = getattr(tasks, task_name)
    transaction.on_commit(lambda: task.apply_async(args=args, countdown=countdown))


def _tell_client(escalation: Escalation, *, session=None) -> None:
    """On commit: the client's open pages show the numbers for their place and that a person is alerted."""
    place = client_location(client=escalation.client, session=session or escalation.session)
    with translation.override(language_of(escalation.client)):
        payload = {
            "type": "escalation.client",
            "id": escalation.pk,
            "title": _("A person has been alerted and will contact you."),
            "body": _(
                "If you are in danger now, call an emergency number. This service does not call "
                "emergency services for you."
            ),
            "numbers": emergency_numbers(country=place.country if place else "", region=place.region if place else ""),
            "url": reverse("escalation:help_sent"),
            "link": _("See the emergency numbers"),
        }
    client_id = escalation.client_id
    transaction.on_commit(lambda: notify_user_now(user_id=client_id, payload=payload))


def escalation_open(
    *,
    client,
    kind: str,
    severity: int,
    dedupe_key: str,
    counselor=None,
    session=None,
    message=None,
    rung: str = Rung.COUNSELOR,
    at: datetime | None = None,
    actor=None,
    request=None,
) -> tuple[Escalation, bool]:
    """Open the one escalation of a signal, or return the existing one (created=False).

    Alerts the first rung's people (or the admins if the rung is empty), schedules delivery and the
    next rung on commit, and tells the client for the signals that come from them.
    """
    at = at or clock.now()
    existing = Escalation.objects.filter(dedupe_key=dedupe_key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            escalation = Escalation.objects.create(
                client=client,
                counselor=counselor,
                session=session,
                message=message,
                kind=kind,
                severity=severity,
                dedupe_key=dedupe_key,
                rung=rung,
                created_at=at,
                next_step_at=at + timedelta(minutes=ack_minutes(severity)) if _next_rung(rung) else None,
            )
            _event(escalation, "opened", at=at, actor=actor)
            audit_record(
                actor=actor,
                action="escalation.opened",
                target=escalation,
                subject=client,
                request=request,
                detail={"kind": kind, "severity": int(severity), "message_id": getattr(message, "pk", None)},
            )
            if rung != Rung.COUNSELOR and counselor is not None:
                # Cover is alerted, and the counselor is still told about their own client.
                EscalationAlert.objects.get_or_create(
                    escalation=escalation, rung=Rung.COUNSELOR, recipient=counselor, defaults={"created_at": at}
                )
            _enter_rung(escalation, rung, at=at)
            if kind in CLIENT_FACING:
                _tell_client(escalation)
            _enqueue("escalation_deliver", escalation.pk)
            if escalation.next_step_at:
                _enqueue(
                    "escalation_advance", escalation.pk, countdown=(escalation.next_step_at - at).total_seconds() + 1
                )
    except IntegrityError:
        # Another process opened it between our read and our insert: theirs is the one.
        return Escalation.objects.get(dedupe_key=dedupe_key), False
    return escalation, True


def help_request(*, client, session=None, at: datetime | None = None, request=None) -> tuple[Escalation, bool]:
    """The client pressed "I need help now". One live help escalation per client; a press while it is
    live reaches a person again (help_pressed_again), it is never only a line on the timeline."""
    at = at or clock.now()
    for _attempt in range(2):
        escalation, created = escalation_open(
            client=client,
            kind=EscalationKind.HELP_BUTTON,
            severity=Severity.HIGH,
            dedupe_key=f"help_button:client:{client.pk}",
            counselor=counselor_of(client=client, session=session),
            session=session,
            at=at,
            actor=client,
            request=request,
        )
        if created or help_pressed_again(escalation=escalation, session=session, at=at, request=request):
            break
        # Resolved between our look-up and the press: its key is free now, so this press opens a new one.
    return escalation, created


def help_pressed_again(*, escalation: Escalation, session=None, at: datetime | None = None, request=None) -> bool:
    """A further press of the help button on a live help escalation. False if it was resolved meanwhile.

    Every press is counted (one UPDATE, no row). An acknowledged escalation reopens: the ladder
    restarts from its current rung and that rung is alerted again. An open one alerts its current
    rung again at once, then at most once per ESCALATION_REPEAT_ALERT_SECONDS: the conditional update
    of repeat_alerted_at is the claim, so of many simultaneous presses one alerts, and the unique
    (escalation, rung, recipient, press) keeps a round to one row per person.
    """
    at = at or clock.now()
    window = timedelta(seconds=settings.ESCALATION_REPEAT_ALERT_SECONDS)
    with transaction.atomic():
        # Also takes the row's lock (PostgreSQL) until commit, so concurrent presses run one by one below.
        counted = (
            Escalation.objects.filter(pk=escalation.pk)
            .exclude(state=EscalationState.RESOLVED)
            .update(presses_again=F("presses_again") + 1)
        )
        if not counted:
            return False
        escalation.refresh_from_db()
        reopened = False
        if escalation.state == EscalationState.ACKNOWLEDGED:
            next_step_at = (
                at + timedelta(minutes=ack_minutes(escalation.severity)) if _next_rung(escalation.rung) else None
            )
            reopened = bool(
                Escalation.objects.filter(
                    pk=escalation.pk, state=EscalationState.ACKNOWLEDGED, rung=escalation.rung
                ).update(state=EscalationState.OPEN, acknowledged_at=None, next_step_at=next_step_at)
            )
            if reopened:
                escalation.refresh_from_db()
                _event(escalation, "reopened", at=at, actor=escalation.client, rung=escalation.rung)
                audit_record(
                    actor=escalation.client,
                    action="escalation.reopened",
                    target=escalation,
                    subject=escalation.client_id,
                    request=request,
                    detail={"rung": escalation.rung},
                )
                if next_step_at:
                    _enqueue("escalation_advance", escalation.pk, countdown=(next_step_at - at).total_seconds() + 1)
        claim = Escalation.objects.filter(pk=escalation.pk, state=EscalationState.OPEN)
        if not reopened:
            # A reopening always alerts: it follows a person's acknowledgement, so it cannot flood.
            claim = claim.filter(Q(repeat_alerted_at__isnull=True) | Q(repeat_alerted_at__lte=at - window))
        if claim.update(repeat_alerted_at=at, repeat_alerts=F("repeat_alerts") + 1):
            escalation.refresh_from_db()
            _alert_again(escalation, at=at, request=request)
        _tell_client(escalation, session=session)
    return True


def _alert_again(escalation: Escalation, *, at, request=None) -> None:
    """One repeat round (number escalation.repeat_alerts): the current rung's people, and the client's own
    counselor, get a new alert row; delivery goes through the outbox like any alert. The caller won the claim.
    """
    press = escalation.repeat_alerts
    people, gap = _recipients(escalation, escalation.rung, at)
    rows = [(Rung.ADMIN if gap else escalation.rung, person) for person in people]
    counselor = escalation.counselor
    if counselor is not None and counselor.is_active and counselor not in people:
        rows.append((Rung.COUNSELOR, counselor))  # always told about their own client, as at the opening
    for rung, person in rows:
        EscalationAlert.objects.get_or_create(
            escalation=escalation, rung=rung, recipient=person, press=press, defaults={"created_at": at}
        )
    _event(escalation, "help_pressed_again", at=at, actor=escalation.client, rung=escalation.rung)
    audit_record(
        actor=escalation.client,
        action="escalation.help_pressed_again",
        target=escalation,
        subject=escalation.client_id,
        request=request,
        detail={
            "rung": escalation.rung,
            "press": press,
            "presses_again": escalation.presses_again,
            "recipients": [person.pk for _rung, person in rows],
            "admins_instead": gap,
        },
    )
    _enqueue("escalation_deliver", escalation.pk)


def message_risk_open(*, message, text: str, at: datetime | None = None) -> Escalation | None:
    """Signal 2, checked inside the transaction that stores a client's message (sessions.services.message_post)
    on the text already in memory: the escalation commits with the message or not at all, ordinary
    messages cost no task, and no task, log or layer ever carries the text.

    A failure here must never refuse the message (a person in crisis could not write at all): it is
    logged, and the by-id check (message_risk_check) is queued to run after the commit instead.
    """
    try:
        match = risk_match(text)
        if match is None:
            return None
        with transaction.atomic():  # a savepoint, only for the rare message that matches
            escalation = _risk_escalation_open(message=message, match=match, at=at)
        return escalation
    except Exception:
        log.exception("Risk check of message %s failed beside it; a task checks it after commit", message.pk)
        _enqueue("escalation_check_message", message.pk)
        return None


def message_risk_check(*, message_id: int, at: datetime | None = None) -> Escalation | None:
    """Open a risk escalation if a stored client's message contains a risk phrase. Safe to run twice.

    The plaintext lives only in this function's locals: never in task arguments, logs or audit.
    """
    message = Message.objects.select_related("conversation", "session").filter(pk=message_id).first()
    if message is None or message.sender_id != message.conversation.client_id:
        return None
    if Escalation.objects.filter(dedupe_key=f"risk_phrase:message:{message.pk}").exists():
        return None
    try:
        text = open_text(owner_id=message.conversation.client_id, sealed=message.body_sealed, context=message.aad)
    except DecryptionError:
        log.warning("Risk check could not open message %s; not checked", message.pk)
        return None
    match = risk_match(text)
    del text
    if match is None:
        return None
    return _risk_escalation_open(message=message, match=match, at=at)


def _risk_escalation_open(*, message, match, at: datetime | None) -> Escalation:
    """The one escalation of a client's message that holds a risk phrase (dedupe: one per message)."""
    escalation, _created = escalation_open(
        client=message.conversation.client,
        kind=EscalationKind.RISK_PHRASE,
        severity=match.severity,
        dedupe_key=f"risk_phrase:message:{message.pk}",
        counselor=message.conversation.counselor,
        session=message.session,
        message=message,
        at=at,
    )
    return escalation


def measure_item9_open(*, response, answer: int, at: datetime | None = None) -> Escalation | None:
    """A PHQ-9 whose item 9 was answered above "not at all" (clinical.signals.phq9_item9_positive), inside the
    transaction that stores it: the escalation commits with the answer, at once, through the ladder.

    Like the chat's risk check, a failure here must never refuse or undo the client's answer: it is logged and
    the by-id check (measure_item9_check) is queued to run after the commit instead. The answer itself stays
    sealed: neither the task nor the log nor the audit entry carries it."""
    try:
        with transaction.atomic():  # a savepoint: a failure rolls back only the escalation
            return _measure_escalation_open(response=response, at=at)
    except Exception:
        log.exception("PHQ-9 item 9 escalation of response %s failed; a task opens it after commit", response.pk)
        _enqueue("escalation_check_measure", response.pk)
        return None


def measure_item9_check(*, response_id: int, at: datetime | None = None) -> Escalation | None:
    """Open the escalation of a stored PHQ-9 response whose item 9 is positive, if not yet open. Safe to run twice."""
    if Escalation.objects.filter(dedupe_key=measure_dedupe_key(response_id)).exists():
        return None
    if not phq9_item9_answer(response_id=response_id):
        return None
    response = MeasureResponse.objects.select_related("client", "counselor").get(pk=response_id)
    return _measure_escalation_open(response=response, at=at)


def measure_dedupe_key(response_id: int) -> str:
    return f"phq9_item9:response:{response_id}"


def _measure_escalation_open(*, response, at: datetime | None) -> Escalation:
    """One escalation per response, high severity, the counselor who set the measure alerted first."""
    escalation, _created = escalation_open(
        client=response.client,
        kind=EscalationKind.PHQ9_ITEM9,
        severity=Severity.HIGH,
        dedupe_key=measure_dedupe_key(response.pk),
        counselor=response.counselor,
        at=at,
        actor=response.client,
    )
    return escalation


def overdue_replies_open(*, at: datetime | None = None, limit: int = 200) -> int:
    """Open one escalation per client message left unanswered past its reply_due_at; cover is alerted."""
    at = at or clock.now()
    already = Escalation.objects.filter(message=OuterRef("pk"), kind=EscalationKind.REPLY_OVERDUE)
    overdue = (
        Message.objects.select_related("conversation", "session")
        .filter(reply_due_at__lte=at, awaiting_reply=True)
        .filter(sender=F("conversation__client"))
        .exclude(Exists(already))
        .order_by("reply_due_at")[:limit]
    )
    opened = 0
    for message in overdue:
        _escalation, created = escalation_open(
            client=message.conversation.client,
            kind=EscalationKind.REPLY_OVERDUE,
            severity=Severity.MEDIUM,
            dedupe_key=f"reply_overdue:message:{message.pk}",
            counselor=message.conversation.counselor,
            session=message.session,
            message=message,
            rung=Rung.ON_CALL,
            at=at,
        )
        opened += created
    return opened


def has_emergency_plan(client) -> bool:
    """From the intake: an authorised emergency contact and a plan for a dropped connection."""
    intake = intake_for(client=client)
    return bool(intake and intake.has_emergency_plan)


def location_confirmed_check(*, session_id: int, at: datetime | None = None) -> Escalation | None:
    """A client confirmed a location for a session but has no emergency plan: alert their counselor."""
    session = CounselingSession.objects.select_related("client", "counselor").filter(pk=session_id).first()
    if session is None or session.location_confirmed_at is None:
        return None
    if has_emergency_plan(session.client):
        return None
    return _session_escalation_open(session=session, kind=EscalationKind.NO_EMERGENCY_PLAN, at=at)


def identity_mismatch_open(*, session_id: int, at: datetime | None = None) -> Escalation | None:
    """The client's code word did not match at a session: alert the session's counselor, once per session.

    Medium severity: nobody is known to be in danger, so not the help button's five-minute ladder; but
    someone other than the client may be reading (a partner or relative holding the client's device can
    be a safety matter too), so an alert nobody acknowledges reaches on-call cover within the session
    (ESCALATION_ACK_MINUTES_MEDIUM), not after it as a low one would. Not shown to the client: whoever
    typed the wrong word learns nothing from it.
    """
    session = CounselingSession.objects.select_related("client", "counselor").filter(pk=session_id).first()
    if session is None:
        return None
    return _session_escalation_open(session=session, kind=EscalationKind.IDENTITY_MISMATCH, at=at)


def _session_escalation_open(*, session, kind: str, at: datetime | None) -> Escalation:
    """The one escalation of a session-level signal (medium severity, the session's counselor alerted first)."""
    escalation, _created = escalation_open(
        client=session.client,
        kind=kind,
        severity=Severity.MEDIUM,
        dedupe_key=f"{kind}:session:{session.pk}",
        counselor=session.counselor,
        session=session,
        at=at,
    )
    return escalation


def escalation_advance(*, escalation_id: int, at: datetime | None = None) -> bool:
    """Climb one rung if the current one is overdue and nobody acknowledged. Returns whether it climbed.

    The conditional update on (state, rung, next_step_at) is the claim: of two deliveries of the
    same task, or a task and the sweep, only one moves the row, and only that one alerts.
    """
    at = at or clock.now()
    with transaction.atomic():
        escalation = Escalation.objects.select_related("client", "counselor").filter(pk=escalation_id).first()
        if (
            escalation is None
            or escalation.state != EscalationState.OPEN
            or escalation.next_step_at is None
            or escalation.next_step_at > at
        ):
            return False
        rung = _next_rung(escalation.rung)
        if rung is None:
            # Only a drill has a timer on its top rung: when it runs out, the drill is over.
            return escalation.is_drill and _drill_finish(escalation, at=at, reason="ran_its_course")
        following = _next_rung(rung)
        # A drill's top rung waits too, so its people have the same time to acknowledge as the others.
        next_step_at = at + timedelta(minutes=rung_minutes(escalation)) if following or escalation.is_drill else None
        won = Escalation.objects.filter(
            pk=escalation.pk, state=EscalationState.OPEN, rung=escalation.rung, next_step_at=escalation.next_step_at
        ).update(rung=rung, next_step_at=next_step_at)
        if not won:
            return False
        escalation.rung, escalation.next_step_at = rung, next_step_at
        _enter_rung(escalation, rung, at=at)
        _enqueue("escalation_deliver", escalation.pk)
        if next_step_at:
            _enqueue("escalation_advance", escalation.pk, countdown=(next_step_at - at).total_seconds() + 1)
    return True


def connection_dropped_climb(*, session_id: int, at: datetime | None = None) -> int:
    """The client's chat connection dropped during a session and did not come back within CLIENT_RECONNECT_MINUTES
    (sessions.signals.client_connection_dropped): whoever must act may no longer reach them on the platform, so
    every open (unacknowledged) escalation of that client climbs a rung at once instead of waiting out its timer.
    Each live escalation of the client records why on its timeline. Returns how many climbed.

    The climb itself is escalation_advance's, with its claim: the due time is moved to now first and committed,
    so if the climb fails here the minute sweep makes it."""
    at = at or clock.now()
    client_id = CounselingSession.objects.filter(pk=session_id).values_list("client_id", flat=True).first()
    if client_id is None:
        return 0
    climbed = 0
    live = Escalation.objects.filter(client_id=client_id).exclude(state=EscalationState.RESOLVED)
    for escalation in live.exclude(kind=EscalationKind.DRILL).order_by("pk"):
        with transaction.atomic():
            _event(escalation, "connection_dropped", at=at, rung=escalation.rung)
            audit_record(
                actor=None,
                action="escalation.connection_dropped",
                target=escalation,
                subject=client_id,
                detail={"session": session_id, "rung": escalation.rung, "state": escalation.state},
            )
            Escalation.objects.filter(pk=escalation.pk, state=EscalationState.OPEN, next_step_at__gt=at).update(
                next_step_at=at
            )
        # Acknowledged (a person holds it) or on its top rung: escalation_advance finds nothing to climb.
        climbed += escalation_advance(escalation_id=escalation.pk, at=at)
    return climbed


def _alert_payload(escalation: Escalation, press: int = 0) -> dict:
    if escalation.is_drill:
        return _drill_payload(escalation)
    payload = {
        "type": "escalation.alert",
        "id": escalation.pk,
        "severity": escalation.get_severity_display(),
        "level": int(escalation.severity),
        "title": _("Emergency alert: %(kind)s") % {"kind": escalation.get_kind_display()},
        "url": reverse("escalation:detail", args=[escalation.pk]),
        "link": _("Open the alert"),
    }
    if press:
        # A new card beside the first one (alerts.js keys cards by id and press). The pseudonym the
        # counselor already sees everywhere, so the person alerted knows whose press it is at a glance.
        payload["press"] = press
        payload["title"] = _("Help button pressed again by %(name)s") % {"name": escalation.client.display_name}
    return payload


def _alert_email(alert: EscalationAlert) -> int:
    """An alert's e-mail, sent now: what happened and a link, never client data (not even the name)."""
    escalation = alert.escalation
    if escalation.is_drill:
        return _drill_email(alert)

    def subject() -> str:
        if alert.press:
            return _("Help button pressed again")
        return _("Emergency alert: %(kind)s") % {"kind": escalation.get_kind_display()}

    def body(link: str) -> str:
        facts = {"severity": escalation.get_severity_display(), "link": link}
        if alert.press:
            return (
                _(
                    "The client pressed the help button again while their emergency alert is still open "
                    "(severity: %(severity)s). Open it and act now: %(link)s\n\nThis e-mail holds no client "
                    "data; sign in to see it."
                )
                % facts
            )
        return (
            _(
                "An emergency alert needs a person now (severity: %(severity)s). Open it and "
                "acknowledge it: %(link)s\n\nThis e-mail holds no client data; sign in to see it."
            )
            % facts
        )

    return email_person(
        recipient=alert.recipient,
        subject=subject,
        body=body,
        link_path=reverse("escalation:detail", args=[escalation.pk]),
        on_commit=False,
        fail_silently=False,
    )


def escalation_deliver(*, escalation_id: int, at: datetime | None = None) -> int:
    """Send every alert of an open escalation not sent yet. Returns how many were sent now. Safe to run twice.

    Each alert is claimed with a lease by conditional update; only the winner sends. Each channel
    (browser, e-mail) is marked as soon as it is done, so a retry never repeats it.
    """
    at = at or clock.now()
    lease = timedelta(seconds=settings.ESCALATION_DELIVERY_LEASE_SECONDS)
    sent = 0
    pending = (
        EscalationAlert.objects.filter(escalation_id=escalation_id, escalation__state=EscalationState.OPEN)
        .filter(Q(notified_at__isnull=True) | Q(emailed_at__isnull=True))
        .select_related(
            "escalation",
            "escalation__client__client_profile",
            "recipient",
            "recipient__counselor_profile",
            "recipient__client_profile",
        )
    )
    for alert in pending:
        won = (
            EscalationAlert.objects.filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=at), pk=alert.pk)
            .filter(Q(notified_at__isnull=True) | Q(emailed_at__isnull=True))
            .update(claimed_until=at + lease, attempts=alert.attempts + 1)
        )
        if not won:
            continue
        escalation = alert.escalation
        # The card on the person's open pages in their language, the same as their e-mail (language_of).
        with translation.override(language_of(alert.recipient)):
            payload = _alert_payload(escalation, press=alert.press)
            # Marked only when the layer took it: if Redis is down the sweep tries again after the lease.
            if alert.notified_at is None and notify_user_now(user_id=alert.recipient_id, payload=payload):
                EscalationAlert.objects.filter(pk=alert.pk).update(notified_at=clock.now())
            if alert.emailed_at is None:
                _alert_email(alert)
                EscalationAlert.objects.filter(pk=alert.pk).update(emailed_at=clock.now())
        sent += 1
    return sent


def _note_required(note: str) -> str:
    note = (note or "").strip()
    if not note:
        raise ValueError(_("A note is required."))
    return note


def escalation_acknowledge(
    *, escalation: Escalation, user, note: str, at: datetime | None = None, request=None
) -> bool:
    """A person takes the escalation: the ladder stops. Requires a note. False if it was not open."""
    if escalation.is_drill:  # a drill climbs on after an acknowledgement, and has no client to tell
        return drill_acknowledge(drill=escalation, user=user, at=at, request=request)
    note = _note_required(note)
    at = at or clock.now()
    with transaction.atomic():
        won = Escalation.objects.filter(pk=escalation.pk, state=EscalationState.OPEN).update(
            state=EscalationState.ACKNOWLEDGED, acknowledged_at=at, next_step_at=None
        )
        if not won:
            return False
        escalation.refresh_from_db()
        _event(escalation, "acknowledged", at=at, actor=user, rung=escalation.rung, note=note)
        audit_record(
            actor=user,
            action="escalation.acknowledged",
            target=escalation,
            subject=escalation.client_id,
            request=request,
        )
        with translation.override(language_of(escalation.client)):
            payload = {
                "type": "escalation.client",
                "id": escalation.pk,
                "title": _("A person has seen your request and is responding."),
                "url": reverse("escalation:help_sent"),
                "link": _("See the emergency numbers"),
            }
        client_id = escalation.client_id
        transaction.on_commit(lambda: notify_user_now(user_id=client_id, payload=payload))
    return True


def escalation_resolve(*, escalation: Escalation, user, note: str, at: datetime | None = None, request=None) -> bool:
    """Close the escalation with a note. A resolved help escalation frees the client's help key."""
    if escalation.is_drill:
        return drill_end(drill=escalation, user=user, at=at, request=request)
    note = _note_required(note)
    at = at or clock.now()
    with transaction.atomic():
        fields = {"state": EscalationState.RESOLVED, "resolved_at": at, "next_step_at": None}
        if escalation.kind == EscalationKind.HELP_BUTTON:
            fields["dedupe_key"] = f"{escalation.dedupe_key}:resolved:{escalation.pk}"[:96]
        won = Escalation.objects.filter(pk=escalation.pk).exclude(state=EscalationState.RESOLVED).update(**fields)
        if not won:
            return False
        escalation.refresh_from_db()
        _event(escalation, "resolved", at=at, actor=user, note=note)
        covers_end(escalation_ref=escalation.pk, at=at)  # whoever picked up the conversation hands it back
        audit_record(
            actor=user, action="escalation.resolved", target=escalation, subject=escalation.client_id, request=request
        )
    return True


def cover_pickup(*, user, escalation: Escalation, basis: str, at: datetime | None = None, request=None):
    """The person holding the escalation's rung picks up the client's conversation: they take the escalation
    (acknowledged, if nobody had), and may read its recent history and answer as themselves for COVER_MINUTES
    (sessions.chat.services.cover_open; again to renew). Resolving the escalation ends it.

    This keeps the consent text's promise that an on-call counselor "picks it up" when a reply is late.
    Raises PermissionDenied with the reason (crisis.selectors.cover_pickup_refusal) when they may not.
    """
    refusal = cover_pickup_refusal(user=user, escalation=escalation, basis=basis)
    if refusal:
        raise PermissionDenied(refusal)
    at = at or clock.now()
    with transaction.atomic():
        if escalation.state == EscalationState.OPEN:
            escalation_acknowledge(
                escalation=escalation, user=user, note=_("Picked up the conversation."), at=at, request=request
            )
        conversation = escalation_conversation(escalation=escalation) or conversation_get_or_create(
            client=escalation.client, counselor=escalation.counselor
        )
        cover = cover_open(
            conversation=conversation,
            cover=user,
            role=cover_role(user=user, escalation=escalation),
            reason=COVER_REASONS[escalation.kind],
            escalation_ref=escalation.pk,
            card_path=reverse("escalation:emergency_card", args=[escalation.pk]),
            at=at,
            request=request,
        )
        _event(escalation, "cover_picked_up", at=at, actor=user, rung=escalation.rung)
    return cover


def emergency_card_opened_record(*, user, escalation: Escalation, basis: str, request=None) -> None:
    """Audit one opening of an escalation's emergency card: an emergency access to the client's legal name,
    phone, emergency contact, exact place and latest messages, with the rung it was opened on and why
    this person may (crisis.selectors.emergency_card_basis). Never the data itself."""
    audit_record(
        actor=user,
        action="escalation.emergency_card_opened",
        target=escalation,
        subject=escalation.client_id,
        request=request,
        detail={"rung": escalation.rung, "basis": basis, "state": escalation.state},
    )


def escalation_sweep(*, at: datetime | None = None) -> dict:
    """Every minute: open missed-reply escalations, climb overdue ladders, re-send undelivered alerts.

    A lost task or a killed worker therefore delays an alert by at most one sweep interval.
    """
    at = at or clock.now()
    result = {"overdue_replies": 0, "advanced": 0, "delivered": 0}
    result["overdue_replies"] = overdue_replies_open(at=at)
    for escalation_id in Escalation.objects.filter(state=EscalationState.OPEN, next_step_at__lte=at).values_list(
        "pk", flat=True
    )[:500]:
        try:
            result["advanced"] += escalation_advance(escalation_id=escalation_id, at=at)
        except Exception:
            log.exception("Sweep could not advance escalation %s; next sweep retries", escalation_id)
    undelivered = (
        EscalationAlert.objects.filter(escalation__state=EscalationState.OPEN)
        .filter(Q(notified_at__isnull=True) | Q(emailed_at__isnull=True))
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=at))
        .values_list("escalation_id", flat=True)
        .distinct()
    )
    for escalation_id in list(undelivered)[:500]:
        try:
            result["delivered"] += escalation_deliver(escalation_id=escalation_id, at=at)
        except Exception:
            log.exception("Sweep could not deliver alerts of escalation %s; next sweep retries", escalation_id)
    return result


# --- Drills ------------------------------------------------------------------------------------------
#
# A drill sends a marked test alert up the whole ladder on the real roster (the chosen counselor, then
# whoever is on call, then the supervisor; admins stand in for an empty rung exactly as in a real
# emergency), so that an on-call gap is found on an ordinary day. A drill has no client
# (Escalation.client is None, allowed only for drills): nothing a client sees or owns can find it. It
# climbs on its timer whether or not a rung acknowledges, since every rung is under test, and records
# who acknowledged and how fast (crisis.selectors.drill_report).

DRILL_LIVE_KEY = "drill:live"  # one live drill at a time: starting again while one runs returns it
DRILL_MAX_MINUTES_PER_RUNG = 60


def drill_start(
    *,
    counselor,
    started_by=None,
    minutes_per_rung: int | None = None,
    via: str = "page",
    deliver: bool = True,
    at: datetime | None = None,
    request=None,
) -> tuple[Escalation, bool]:
    """Start a drill with `counselor` on the first rung; returns (drill, created).

    started_by: the admin who started it (None for the command run without --by). minutes_per_rung:
    the drill's own timer (1 to 60), else the configured minutes of a high-severity alert. While a drill
    is live this returns it instead (created=False), so starting twice starts one drill.
    deliver=False leaves sending and climbing to the minute sweep: a process that is not the embedded
    server (the command) would push browser alerts into its own in-memory layer, which reaches nobody.
    """
    if started_by is not None and started_by.role != Role.ADMIN:
        raise PermissionDenied("Only admins start drills.")
    if counselor is None or counselor.role != Role.COUNSELOR or not counselor.is_active:
        raise ValueError(_("Choose an active counselor for the drill."))
    if minutes_per_rung is not None and not 1 <= minutes_per_rung <= DRILL_MAX_MINUTES_PER_RUNG:
        raise ValueError(_("Minutes per rung must be between 1 and 60."))
    at = at or clock.now()
    existing = Escalation.objects.filter(dedupe_key=DRILL_LIVE_KEY).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            drill = Escalation(
                client=None,
                counselor=counselor,
                kind=EscalationKind.DRILL,
                severity=Severity.HIGH,
                dedupe_key=DRILL_LIVE_KEY,
                rung=Rung.COUNSELOR,
                created_at=at,
                step_minutes=minutes_per_rung,
            )
            drill.next_step_at = at + timedelta(minutes=rung_minutes(drill))
            drill.save()
            _event(drill, "opened", at=at, actor=started_by)
            audit_record(
                actor=started_by,
                action="escalation.drill_started",
                target=drill,
                request=request,
                detail={"counselor": counselor.pk, "minutes_per_rung": rung_minutes(drill), "via": via},
            )
            _enter_rung(drill, Rung.COUNSELOR, at=at)
            if deliver:
                _enqueue("escalation_deliver", drill.pk)
                _enqueue("escalation_advance", drill.pk, countdown=(drill.next_step_at - at).total_seconds() + 1)
    except IntegrityError:
        # Another admin started one between our read and our insert: theirs is the one.
        return Escalation.objects.get(dedupe_key=DRILL_LIVE_KEY), False
    return drill, True


def drill_acknowledge(*, drill: Escalation, user, at: datetime | None = None, request=None) -> bool:
    """A person the drill alerted says they saw it; the drill climbs on regardless. Needs no note (there is
    no client). False if the drill is over, or this person has no alert waiting for an acknowledgement.
    Once the top rung is reached and everyone alerted has acknowledged, the drill is over."""
    at = at or clock.now()
    with transaction.atomic():
        # The row's lock (PostgreSQL) makes two clicks of one person record one acknowledgement.
        live = (
            Escalation.objects.select_for_update()
            .filter(pk=drill.pk, kind=EscalationKind.DRILL, state=EscalationState.OPEN)
            .first()
        )
        if live is None:
            return False
        alert = (
            EscalationAlert.objects.filter(escalation=live, recipient=user, created_at__lte=at)
            .order_by("-created_at", "-pk")
            .first()
        )
        if alert is None or live.events.filter(kind="acknowledged", actor=user, at__gte=alert.created_at).exists():
            return False
        _event(live, "acknowledged", at=at, actor=user, rung=alert.rung)
        audit_record(
            actor=user,
            action="escalation.drill_acknowledged",
            target=live,
            request=request,
            detail={"rung": alert.rung, "seconds": int((at - alert.created_at).total_seconds())},
        )
        if live.rung == LADDER[-1] and drill_report(live).everyone_acknowledged:
            _drill_finish(live, at=at, reason="everyone_acknowledged")
    return True


def drill_end(*, drill: Escalation, user, at: datetime | None = None, request=None) -> bool:
    """An admin stops a drill before its ladder ran out. False for anyone else, or if it was over."""
    if user.role != Role.ADMIN:
        return False
    return _drill_finish(drill, at=at or clock.now(), actor=user, reason="ended_by_admin", request=request)


def _drill_finish(drill: Escalation, *, at, reason: str, actor=None, request=None) -> bool:
    """Close a drill (claimed by conditional update) and audit what it found; frees the live-drill key."""
    with transaction.atomic():
        won = (
            Escalation.objects.filter(pk=drill.pk, kind=EscalationKind.DRILL)
            .exclude(state=EscalationState.RESOLVED)
            .update(state=EscalationState.RESOLVED, resolved_at=at, next_step_at=None, dedupe_key=f"drill:{drill.pk}")
        )
        if not won:
            return False
        drill.refresh_from_db()
        _event(drill, "drill_finished", at=at, actor=actor, rung=drill.rung)
        report = drill_report(drill)
        audit_record(
            actor=actor,
            action="escalation.drill_finished",
            target=drill,
            request=request,
            detail={
                "reason": reason,
                "rungs": {
                    row.rung: {
                        "reached": row.reached,
                        "roster_gap": row.roster_gap,
                        "alerted": [alert.person.pk for alert in row.alerts],
                        "acknowledged": {
                            str(alert.person.pk): int(alert.delay.total_seconds())
                            for alert in row.alerts
                            if alert.delay is not None
                        },
                    }
                    for row in report.rungs
                },
            },
        )
    return True


def drill_step(*, drill_id: int, drive: bool = True, at: datetime | None = None) -> bool:
    """Drive a drill now: climb if its rung is due, send what is unsent. Returns whether it is still live.

    What the sweep does every minute, for the command that waits on its drill; safe beside the sweep
    and safe to run twice (both claim their work by conditional update). drive=False only looks (the
    embedded server's own sweep drives it; see drill_start's deliver)."""
    at = at or clock.now()
    if drive:
        escalation_advance(escalation_id=drill_id, at=at)
        escalation_deliver(escalation_id=drill_id, at=at)
    return Escalation.objects.filter(pk=drill_id, kind=EscalationKind.DRILL, state=EscalationState.OPEN).exists()


def _drill_payload(drill: Escalation) -> dict:
    """A drill's browser alert: marked on its title, so nobody mistakes it for a client in danger."""
    return {
        "type": "escalation.alert",
        "id": drill.pk,
        "drill": True,
        "severity": drill.get_severity_display(),
        "level": int(drill.severity),
        "title": _("DRILL — no client is in danger"),
        "body": _("A test of the emergency alerts. Open it and acknowledge it as you would a real alert."),
        "url": reverse("escalation:drill", args=[drill.pk]),
        "link": _("Open the drill"),
    }


def _drill_email(alert: EscalationAlert) -> int:
    drill = alert.escalation

    def subject() -> str:
        return _("DRILL — no client is in danger: a test of the emergency alerts")

    def body(link: str) -> str:
        return _(
            "DRILL — no client is in danger.\n\nThis is a test of the emergency alerts on the real "
            "roster. Open it and acknowledge it as you would a real alert, so the drill can tell how "
            "fast each rung answers: %(link)s"
        ) % {"link": link}

    return email_person(
        recipient=alert.recipient,
        subject=subject,
        body=body,
        link_path=reverse("escalation:drill", args=[drill.pk]),
        on_commit=False,
        fail_silently=False,
    )
