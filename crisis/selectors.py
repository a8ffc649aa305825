"""Reads of crisis: who is on call, who may handle an escalation, the risk queue and a timeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clinical.selectors_measures import phq9_item9_answer
from counseling import clock
from counseling.crypto import DecryptionError, open_note
from counseling.models import Role, User
from counseling.statements import composed_for
from crisis.models import (
    CLIENT_FACING,
    LADDER,
    Escalation,
    EscalationKind,
    EscalationState,
    OnCallShift,
    Rung,
    Severity,
)
from identity.dialing import dial_link
from identity.numbers import emergency_numbers_for
from identity.selectors import intake_answers, intake_for
from sessions.chat.selectors import chat_names, live_cover, message_frame
from sessions.models import Conversation, CounselingSession, CoverReason, CoverRole, Message
from sessions.selectors import client_location, located_session, session_landmark


def ack_minutes(severity: int) -> int:
    return {
        Severity.HIGH: settings.ESCALATION_ACK_MINUTES_HIGH,
        Severity.MEDIUM: settings.ESCALATION_ACK_MINUTES_MEDIUM,
    }.get(severity, settings.ESCALATION_ACK_MINUTES_LOW)


def rung_minutes(escalation: Escalation) -> int:
    """Minutes a rung waits for an acknowledgement before the next one: a drill's own timer, else the severity's."""
    return escalation.step_minutes or ack_minutes(escalation.severity)


def on_call_now(*, role: str, at: datetime | None = None) -> list[User]:
    at = at or clock.now()
    return list(
        User.objects.filter(
            on_call_shifts__role=role, on_call_shifts__starts_at__lte=at, on_call_shifts__ends_at__gt=at, is_active=True
        )
        .distinct()
        .order_by("pk")
    )


def _covered_roles(*, at: datetime):
    return (
        OnCallShift.objects.filter(starts_at__lte=at, ends_at__gt=at, user__is_active=True)
        .order_by()
        .values_list("role")
    )


def roster_gaps(*, at: datetime | None = None) -> list[str]:
    """The roster roles nobody covers right now (shown on the staff dashboard). Every staff dashboard and risk queue
    asks it: its statement is composed once per process (counseling.statements)."""
    # on_call_now(role=...) is empty for exactly these roles: asked for both in one query.
    values = {"at": at or clock.now()}
    covered = {role for (role,) in composed_for(("roster_gaps",), _covered_roles, values).tuples(values)}
    return [role for role in (OnCallShift.Role.ON_CALL, OnCallShift.Role.SUPERVISOR) if role not in covered]


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


def _live_escalations():
    return (
        Escalation.objects.exclude(state=EscalationState.RESOLVED)
        .exclude(kind=EscalationKind.DRILL)
        .select_related("client__client_profile")
        .order_by("-severity", "created_at")
    )


def _on_shift(*, person: int, at: datetime):
    return OnCallShift.objects.filter(user_id=person, starts_at__lte=at, ends_at__gt=at).order_by().values_list("pk")


def _sees_every_escalation(*, user, at: datetime) -> bool:
    """Admins and anyone on a roster shift now (the risk queue asks it on every visit: its statement composed once)."""
    if user.role == Role.ADMIN:
        return True
    values = {"person": user.pk, "at": at}
    return bool(composed_for(("risk queue: on shift",), _on_shift, values).tuples(values, high=1))


def _own_escalations(live, *, user_id: int):
    return live.filter(Q(counselor_id=user_id) | Q(alerts__recipient_id=user_id)).distinct()


def risk_queue(*, user, at: datetime | None = None):
    """Live escalations this person may handle, most severe first, then oldest first (drills are listed apart)."""
    at = at or clock.now()
    live = _live_escalations()
    return live if _sees_every_escalation(user=user, at=at) else _own_escalations(live, user_id=user.pk)


class RiskQueueRow(NamedTuple):
    """One escalation of the risk queue's page: the values its row shows, its choices' labels in the active language."""

    pk: int
    severity_level: int  # the number (the badge's class)
    created_at: datetime
    client_name: str  # the client's display_name; "" without a client
    severity: str
    kind: str
    state: str
    rung: str


_QUEUE_COLUMNS = (
    "pk",
    "severity",
    "kind",
    "state",
    "rung",
    "created_at",
    "client_id",
    "client__client_profile__display_name",
)


def _everyones_queue():
    return _live_escalations().values_list(*_QUEUE_COLUMNS)


def _persons_queue(*, person: int):
    return _own_escalations(_live_escalations(), user_id=person).values_list(*_QUEUE_COLUMNS)


def _queue_values(*, user, at: datetime) -> list[tuple]:
    """risk_queue(user=user, at=at).values_list(*_QUEUE_COLUMNS), its statement composed once per process (the
    risk queue's reads cost more CPU to build and compile than to run)."""
    if _sees_every_escalation(user=user, at=at):
        return composed_for(("risk queue: everyone's",), _everyones_queue, {}).tuples({})
    values = {"person": user.pk}
    return composed_for(("risk queue: the person's own",), _persons_queue, values).tuples(values)


def risk_queue_rows(*, user, at: datetime | None = None) -> list[RiskQueueRow]:
    """risk_queue() as the page lists it, in its order. Each label is the one get_FOO_display() gives, translated
    once per page: get_FOO_display() hashes and translates every choice of the field on each call (4 fields x 50
    rows were a third of the page's time). Plain values, not instances: an escalation, its client and the
    client's profile built for each row (with the User's post_init receiver) cost more than the rest."""
    fields = {"severity": Severity, "kind": EscalationKind, "state": EscalationState, "rung": Rung}
    labels = {name: {value: str(label) for value, label in choices.choices} for name, choices in fields.items()}
    severities, kinds, states, rungs = (labels[name] for name in fields)
    found = _queue_values(user=user, at=at or clock.now())
    # A client without a client profile (the sign-up always makes one) is named as User.display_name names them.
    unnamed = {row[6] for row in found if row[6] is not None and row[7] is None}
    names = (
        {
            client.pk: client.display_name
            for client in User.objects.filter(pk__in=unnamed).select_related("client_profile", "counselor_profile")
        }
        if unnamed
        else {}
    )
    return [
        RiskQueueRow(
            pk=pk,
            severity_level=severity,
            created_at=created_at,
            client_name="" if client_id is None else names[client_id] if profile_name is None else profile_name,
            severity=severities.get(severity, severity),
            kind=kinds.get(kind, kind),
            state=states.get(state, state),
            rung=rungs.get(rung, rung),
        )
        for pk, severity, kind, state, rung, created_at, client_id, profile_name in found
    ]


EVENT_LABELS = {
    "opened": gettext_lazy("Opened"),
    "alerted": gettext_lazy("Alerted"),
    "roster_gap": gettext_lazy("Nobody rostered: admins alerted instead"),
    "help_pressed_again": gettext_lazy("Help button pressed again"),
    "reopened": gettext_lazy("Reopened: the help button was pressed after the acknowledgement"),
    "acknowledged": gettext_lazy("Acknowledged"),
    "resolved": gettext_lazy("Resolved"),
    "drill_finished": gettext_lazy("Drill finished"),
    "cover_picked_up": gettext_lazy("Picked up the client's conversation"),
    "connection_dropped": gettext_lazy("The client's connection dropped during a session and did not come back"),
}


def measure_item9_fact(escalation: Escalation) -> dict | None:
    """For a PHQ-9 item 9 escalation: the answer (1-3, opened in memory) and the response's id, for the alert page.

    The answer stays off the real-time card and the e-mail (they cross Redis and mail servers): the kind says
    "answered positively", the page, behind sign-in, says which answer."""
    prefix = "phq9_item9:response:"
    if escalation.kind != EscalationKind.PHQ9_ITEM9 or not escalation.dedupe_key.startswith(prefix):
        return None
    response_id = int(escalation.dedupe_key.removeprefix(prefix))
    return {"answer": phq9_item9_answer(response_id=response_id), "response_id": response_id}


def escalation_timeline(escalation: Escalation) -> list[dict]:
    """The events with their notes opened for the page (a note that fails to open says so)."""
    rows = []
    for event in escalation.events.select_related("actor").order_by("at", "pk"):
        note = open_note(owner_id=escalation.client_id, sealed=event.note_sealed, context=event.note_aad)
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


# --- The emergency card: what the person holding the current rung needs to act now ---------------------

# Latest messages of the client's conversation on the card: enough to know what was said, not the record.
EMERGENCY_CARD_MESSAGES = 20


@dataclass(frozen=True)
class EmergencyCardAccess:
    """Who opened the card of which escalation, and on what basis (recorded in the audit log)."""

    escalation: Escalation
    basis: str


def emergency_card_basis(*, user, escalation: Escalation) -> str:
    """Why `user` may open this escalation's emergency card, or "" if they may not. The one rule of the card.

    The card (legal name, phone, emergency contact, exact place, latest messages) is for whoever must act
    now, only while the escalation is live: resolving it closes the card for everyone. Then:
    - "counselor": the client's own counselor, on every rung. Cover is alerted when they do not answer in
      time, yet they are still told of every round (crisis.services) and are the person the client knows
      best to call; they already see the emergency contact and place at each session start.
    - "alerted": alerted for the rung the escalation is on now (escalation.rung), in any round.
    - "admin": an admin alerted in place of the current rung because it was empty: a roster gap on
      entering it, or a repeat round since then (admins stand in for nobody else).
    - "acknowledged": the person who acknowledged it; taking it makes them hold it until it is resolved.
    Staff alerted only on a rung below the current one, other counselors, admins the ladder did not call
    on, and clients all get "".
    """
    if not (user.is_authenticated and user.is_active and user.role in (Role.COUNSELOR, Role.ADMIN)):
        return ""
    if escalation.state == EscalationState.RESOLVED or escalation.client_id is None:  # no client: a drill
        return ""
    if escalation.counselor_id == user.pk:
        return "counselor"
    alerts = escalation.alerts.filter(recipient=user)
    if alerts.filter(rung=escalation.rung).exists():
        return "alerted"
    if user.role == Role.ADMIN and _admin_stands_in(escalation=escalation, admin_alerts=alerts.filter(rung=Rung.ADMIN)):
        return "admin"
    if escalation.events.filter(kind="acknowledged", actor=user).exists():
        return "acknowledged"
    return ""


def _admin_stands_in(*, escalation: Escalation, admin_alerts) -> bool:
    """Was this admin alerted for the current rung? Admin alerts carry the rung "admin", not the rung they
    stand in for; a gap is recorded as a roster_gap event of that rung on entering it, and a repeat round's
    alerts are new rows made after the rung was entered (crisis.services._enter_rung, _alert_again)."""
    if not admin_alerts.exists():
        return False
    events = escalation.events.filter(rung=escalation.rung)
    if events.filter(kind="roster_gap").exists():
        return True
    entered = events.filter(kind="alerted").order_by("-at").values_list("at", flat=True).first()
    return entered is not None and admin_alerts.filter(created_at__gte=entered).exists()


def access_emergency_card(*, user, escalation_id: int) -> EmergencyCardAccess:
    """The escalation and the basis if `user` may open its emergency card now, else 404 (as for no escalation)."""
    escalation = (
        Escalation.objects.select_related(
            "client", "client__client_profile", "counselor", "counselor__counselor_profile", "session", "message"
        )
        .filter(pk=escalation_id)
        .first()
    )
    basis = emergency_card_basis(user=user, escalation=escalation) if escalation is not None else ""
    if not basis:
        raise Http404
    return EmergencyCardAccess(escalation=escalation, basis=basis)


# What a cover tells the client about why they answer, by the kind of escalation they picked up. Other kinds
# (a code word that did not match, no emergency plan) are the client's own counselor's to handle.
COVER_REASONS = {
    EscalationKind.HELP_BUTTON: CoverReason.HELP,
    EscalationKind.RISK_PHRASE: CoverReason.RISK,
    EscalationKind.REPLY_OVERDUE: CoverReason.REPLY_OVERDUE,
}


def cover_pickup_refusal(*, user, escalation: Escalation, basis: str) -> str:
    """Why `user`, who may open the card on `basis`, may not pick up the client's conversation; "" if they may.

    Cover answers as a counselor, so: a counselor who holds the rung (alerted for it, or took it), for an
    escalation of a kind a cover answers, with the client's counselor known (the conversation is theirs).
    The client's own counselor needs no cover: the conversation is already theirs.
    """
    if basis == "counselor":
        return _("This is your own client: open the conversation directly.")
    if basis not in ("alerted", "acknowledged") or user.role != Role.COUNSELOR:
        return _("Only a counselor who holds this escalation can answer the client; use the numbers on this card.")
    if escalation.kind not in COVER_REASONS:
        return _("This kind of escalation is for the client's own counselor to answer.")
    if escalation.counselor_id is None:
        return _("The client has no counselor yet, so there is no conversation to pick up.")
    return ""


def cover_role(*, user, escalation: Escalation) -> str:
    """What the client is told the cover is: the rung they were alerted on, else their roster role now."""
    rungs = set(escalation.alerts.filter(recipient=user).values_list("rung", flat=True))
    if Rung.SUPERVISOR in rungs:
        return CoverRole.SUPERVISOR
    if Rung.ON_CALL in rungs:
        return CoverRole.ON_CALL
    now = clock.now()
    shifts = set(
        OnCallShift.objects.filter(user=user, starts_at__lte=now, ends_at__gt=now).values_list("role", flat=True)
    )
    if OnCallShift.Role.SUPERVISOR in shifts:
        return CoverRole.SUPERVISOR
    return CoverRole.ON_CALL if OnCallShift.Role.ON_CALL in shifts else CoverRole.COUNSELOR


def escalation_conversation(*, escalation: Escalation) -> Conversation | None:
    """The conversation of the escalation's client with their counselor (of the flagged message, if any)."""
    conversations = Conversation.objects.select_related("client", "counselor")
    if escalation.message_id:
        return conversations.filter(pk=escalation.message.conversation_id).first()
    if escalation.counselor_id and escalation.client_id:
        return conversations.filter(client_id=escalation.client_id, counselor_id=escalation.counselor_id).first()
    return None


def card_pickup(*, user, escalation: Escalation, basis: str) -> dict:
    """The card's "answer the client" step for `user`: the conversation link for the client's own counselor, the
    live cover (until when) for a cover who picked up, else whether they may pick it up, or why not."""
    conversation = escalation_conversation(escalation=escalation)
    cover = live_cover(user=user, conversation_id=conversation.pk) if conversation is not None else None
    return {
        "own_client": basis == "counselor",
        "conversation": conversation,
        "cover": cover,
        "refusal": "" if basis == "counselor" else cover_pickup_refusal(user=user, escalation=escalation, basis=basis),
        "minutes": settings.COVER_MINUTES,
        "history": settings.COVER_HISTORY_MESSAGES,
    }


def _card_intake(*, client) -> dict:
    """The client's phone, legal name, drop plan and (only if they authorised it) emergency contact."""
    found = {"intake": "missing", "legal_name": "", "phone": "", "phone_link": "", "drop_plan": ""}
    found.update({"contact": None, "contact_authorised": False})
    intake = intake_for(client=client)
    if intake is None:
        return found
    try:
        answers = intake_answers(intake)
    except (DecryptionError, ValueError):
        found["intake"] = "unreadable"
        return found
    phone = str(answers.get("phone") or "").strip()
    found.update(
        {
            "intake": "ok",
            "legal_name": str(answers.get("legal_name") or ""),
            "phone": phone,
            "phone_link": dial_link(number=phone) if phone else "",
            "drop_plan": str(answers.get("connection_drop_plan") or ""),
            "contact_authorised": intake.emergency_contact_authorised,
        }
    )
    if intake.emergency_contact_authorised:
        contact_phone = str(answers.get("emergency_contact_phone") or "").strip()
        found["contact"] = {
            "name": str(answers.get("emergency_contact_name") or ""),
            "relation": str(answers.get("emergency_contact_relation") or ""),
            "phone": contact_phone,
            "phone_link": dial_link(number=contact_phone) if contact_phone else "",
        }
    return found


def _card_place(*, escalation: Escalation) -> dict:
    """Where the client is (crisis uses sessions' one answer), where that was confirmed, and the landmark."""
    place = client_location(client=escalation.client, session=escalation.session)
    found = {"country": "", "region": "", "confirmed": False, "confirmed_at": None, "session_starts_at": None}
    found.update({"landmark": "", "landmark_unreadable": False, "numbers": []})
    if place is None:
        return found
    found.update({"country": place.country, "region": place.region, "confirmed": place.confirmed})
    found["numbers"] = emergency_numbers_for(country=place.country, region=place.region)
    located = located_session(client=escalation.client, session=escalation.session) if place.confirmed else None
    if located is not None:
        found["confirmed_at"] = located.location_confirmed_at
        found["session_starts_at"] = located.starts_at
        try:
            found["landmark"] = session_landmark(session=located)
        except DecryptionError:
            found["landmark_unreadable"] = True
    return found


def _card_messages(*, escalation: Escalation) -> list[dict]:
    """The latest messages of the client's conversation with their counselor, newest first, opened in memory."""
    conversation = escalation_conversation(escalation=escalation)
    if conversation is None:
        return []
    names = chat_names(conversation=conversation)
    flagged_seq = escalation.message.seq if escalation.message_id else None
    latest = Message.objects.filter(conversation_id=conversation.pk).order_by("-seq")[:EMERGENCY_CARD_MESSAGES]
    frames = [message_frame(message, client_id=conversation.client_id) for message in latest]
    return [
        {
            "seq": frame["seq"],
            "from_client": frame["from_client"],
            "sender": names.get(frame["sender"], ""),
            "body": frame["body"],
            "unreadable": frame["body"] is None,
            "at": datetime.fromisoformat(frame["created_at"]),
            "flagged": frame["seq"] == flagged_seq,
        }
        for frame in frames
    ]


def emergency_card(*, escalation: Escalation) -> dict:
    """Everything on the emergency card, opened in memory for this one page and kept nowhere else.

    Precondition: access_emergency_card allowed the reader; the caller audits the opening
    (crisis.services.emergency_card_opened_record).
    """
    return {
        **_card_intake(client=escalation.client),
        "place": _card_place(escalation=escalation),
        "messages": _card_messages(escalation=escalation),
    }


# --- Drills: a marked test alert up the ladder on the real roster; no client is involved ---------------


def access_drill(*, user, drill_id: int) -> Escalation:
    """The drill if `user` may see it (admins, its counselor, anyone it alerted, rostered staff), else 404."""
    drill = Escalation.objects.select_related("counselor").filter(pk=drill_id, kind=EscalationKind.DRILL).first()
    if drill is None or not may_handle(user=user, escalation=drill):
        raise Http404
    return drill


def drill_counselors():
    """Who may stand on a drill's first rung: active counselors."""
    return User.objects.filter(role=Role.COUNSELOR, is_active=True).select_related("counselor_profile").order_by("pk")


def _latest_drills():
    return Escalation.objects.filter(kind=EscalationKind.DRILL).order_by("-created_at")


def _drills_alerting(*, person: int):
    return _latest_drills().exclude(state=EscalationState.RESOLVED).filter(alerts__recipient_id=person).distinct()


def drills_for(*, user, limit: int = 10) -> list[Escalation]:
    """The drills the risk queue lists: admins see the latest; other staff the live ones that alerted them.

    The list shows each drill's number, start and whether it runs (not its counselor): read with the statement
    composed once per process, the limit applied as the queryset's slice would (LIMIT after the DISTINCT)."""
    if user.role == Role.ADMIN:
        return composed_for(("drills: latest",), _latest_drills, {}).instances({}, high=limit)
    values = {"person": user.pk}
    return composed_for(("drills: alerting the person",), _drills_alerting, values).instances(values, high=limit)


@dataclass(frozen=True)
class DrillAlertRow:
    """One person alerted on one rung of a drill, and when (if) they acknowledged."""

    person: User
    alerted_at: datetime
    acknowledged_at: datetime | None
    stood_in: bool  # an admin alerted because nobody was rostered on the rung
    minutes: int

    @property
    def delay(self) -> timedelta | None:
        return self.acknowledged_at - self.alerted_at if self.acknowledged_at else None

    @property
    def delay_text(self) -> str:
        """The delay as minutes:seconds ("1:05"), the same in every language."""
        if self.delay is None:
            return ""
        minutes, seconds = divmod(int(self.delay.total_seconds()), 60)
        return f"{minutes}:{seconds:02d}"

    @property
    def late(self) -> bool:
        """Acknowledged only after the rung's time ran out (a real alert would have climbed past them)."""
        return self.delay is not None and self.delay > timedelta(minutes=self.minutes)


@dataclass
class DrillRungRow:
    rung: str
    label: str
    reached_at: datetime | None = None
    roster_gap: bool = False
    alerts: list[DrillAlertRow] = field(default_factory=list)

    @property
    def reached(self) -> bool:
        return self.reached_at is not None

    @property
    def acknowledged(self) -> bool:
        return any(row.acknowledged_at for row in self.alerts)

    @property
    def fastest(self) -> timedelta | None:
        delays = [row.delay for row in self.alerts if row.delay is not None]
        return min(delays) if delays else None

    @property
    def nobody_acknowledged(self) -> bool:
        return self.reached and not self.acknowledged


@dataclass
class DrillReport:
    drill: Escalation
    started_by: User | None
    started_at: datetime
    finished_at: datetime | None
    minutes_per_rung: int
    rungs: list[DrillRungRow]

    @property
    def finished(self) -> bool:
        return self.finished_at is not None

    @property
    def gaps(self) -> list[DrillRungRow]:
        """The rungs a real emergency would have found wanting: nobody rostered, or nobody acknowledged."""
        return [row for row in self.rungs if row.roster_gap or row.nobody_acknowledged]

    @property
    def complete(self) -> bool:
        """The drill reached every rung and each had someone rostered who acknowledged: no gap found."""
        return all(row.reached for row in self.rungs) and not self.gaps

    @property
    def everyone_acknowledged(self) -> bool:
        return all(alert.acknowledged_at for row in self.rungs for alert in row.alerts)

    def awaits(self, user) -> bool:
        """Whether the live drill alerted `user` and waits for their acknowledgement."""
        return not self.finished and any(
            alert.person.pk == user.pk and alert.acknowledged_at is None for row in self.rungs for alert in row.alerts
        )


def drill_report(drill: Escalation) -> DrillReport:
    """Who each rung alerted, who acknowledged and how fast, and which rung had nobody (or nobody answered).

    Read from the drill's own rows: the "alerted" and "roster_gap" events mark when each rung was
    reached; an admin's stand-in alert belongs to the latest rung reached before it; a person's
    acknowledgement answers each of their alerts made before it (the first one after the alert counts).
    """
    minutes = rung_minutes(drill)
    events = list(drill.events.select_related("actor").order_by("at", "pk"))
    rows = {rung: DrillRungRow(rung=rung, label=Rung(rung).label) for rung in LADDER}
    rows[Rung.COUNSELOR].label = gettext_lazy("Counselor on the first rung")  # a drill has no client
    for event in events:
        if event.rung in rows and event.kind == "alerted" and rows[event.rung].reached_at is None:
            rows[event.rung].reached_at = event.at
        if event.rung in rows and event.kind == "roster_gap":
            rows[event.rung].roster_gap = True
    acks = [event for event in events if event.kind == "acknowledged" and event.actor_id]
    reached = sorted((row.reached_at, row.rung) for row in rows.values() if row.reached_at)
    for alert in drill.alerts.select_related("recipient").order_by("created_at", "pk"):
        if alert.rung in rows:
            rung = alert.rung
        else:  # an admin standing in: the latest rung reached by then
            before = [rung for reached_at, rung in reached if reached_at <= alert.created_at]
            rung = before[-1] if before else LADDER[0]
        acknowledged_at = next(
            (event.at for event in acks if event.actor_id == alert.recipient_id and event.at >= alert.created_at), None
        )
        rows[rung].alerts.append(
            DrillAlertRow(
                person=alert.recipient,
                alerted_at=alert.created_at,
                acknowledged_at=acknowledged_at,
                stood_in=alert.rung == Rung.ADMIN,
                minutes=minutes,
            )
        )
    opened = next((event for event in events if event.kind == "opened"), None)
    return DrillReport(
        drill=drill,
        started_by=opened.actor if opened else None,
        started_at=drill.created_at,
        finished_at=drill.resolved_at,
        minutes_per_rung=minutes,
        rungs=[rows[rung] for rung in LADDER],
    )


def escalations_client_export(client) -> dict:
    """The crisis section of the client's own copy of their data (records.services.client_export): every
    escalation about them, its steps and who was alerted. Notes written by staff are not included, only that
    one was written (docs/client-export.md, "Notes written by staff")."""

    def name(user) -> str | None:
        return user.display_name if user is not None else None

    rows = []
    for escalation in (
        Escalation.objects.filter(client=client)
        .prefetch_related("events__actor__counselor_profile", "alerts__recipient__counselor_profile")
        .order_by("created_at", "pk")
    ):
        rows.append(
            {
                "kind": escalation.kind,
                "severity": escalation.severity,
                "state": escalation.state,
                "session_id": escalation.session_id,
                "created_at": escalation.created_at.isoformat(),
                "acknowledged_at": escalation.acknowledged_at.isoformat() if escalation.acknowledged_at else None,
                "resolved_at": escalation.resolved_at.isoformat() if escalation.resolved_at else None,
                "help_pressed_again": escalation.presses_again,
                "steps": [
                    {
                        "at": event.at.isoformat(),
                        "kind": event.kind,
                        "rung": event.rung,
                        "by": name(event.actor),
                        "note_written": bool(event.note_sealed),
                        "note_included": False,
                    }
                    for event in escalation.events.all()
                ],
                "alerted": [
                    {"at": alert.created_at.isoformat(), "rung": alert.rung, "person": name(alert.recipient)}
                    for alert in escalation.alerts.all()
                ],
            }
        )
    return {"escalations": rows}
