"""Emergency escalation: an escalation is the database record of one emergency signal; the row, not a
queued task, is the record of truth, so a lost task or a dead worker delays an alert by one sweep and
never drops it."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from counseling.clock import now


class EscalationKind(models.TextChoices):
    HELP_BUTTON = "help_button", _("Help button pressed")
    RISK_PHRASE = "risk_phrase", _("Risk phrase in a message")
    REPLY_OVERDUE = "reply_overdue", _("Message left unanswered past the promised time")
    NO_EMERGENCY_PLAN = "no_emergency_plan", _("Location confirmed without an emergency plan")
    # The client's code word did not match at a session: someone else may be reading (ACA H.3).
    IDENTITY_MISMATCH = "identity_mismatch", _("Code word did not match at a session")
    # PHQ-9 item 9 (thoughts of being better off dead or of self-harm) answered above "not at all".
    PHQ9_ITEM9 = "phq9_item9", _("PHQ-9 item 9 answered positively")
    # A test of the ladder on the real roster, started by an admin: it has no client (see Escalation.client).
    DRILL = "drill", _("Drill: no client is in danger")


class Severity(models.IntegerChoices):
    LOW = 1, _("Low")
    MEDIUM = 2, _("Medium")
    HIGH = 3, _("High")


class EscalationState(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")


class Rung(models.TextChoices):
    """The ladder an unacknowledged alert climbs, in order (admins stand in for an empty rung)."""

    COUNSELOR = "counselor", _("Client's counselor")
    ON_CALL = "on_call", _("On-call counselor")
    SUPERVISOR = "supervisor", _("Supervisor")
    ADMIN = "admin", _("Admins")


LADDER = [Rung.COUNSELOR, Rung.ON_CALL, Rung.SUPERVISOR]
# Signals that come from the client: they see the emergency numbers and that a person was alerted.
CLIENT_FACING = {
    EscalationKind.HELP_BUTTON,
    EscalationKind.RISK_PHRASE,
    EscalationKind.NO_EMERGENCY_PLAN,
    EscalationKind.PHQ9_ITEM9,
}


class RiskPhrase(models.Model):
    """An admin-editable phrase that opens an escalation when a client writes it (matched normalised)."""

    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    phrase = models.CharField(_("phrase"), max_length=120)
    severity = models.PositiveSmallIntegerField(_("severity"), choices=Severity.choices, default=Severity.HIGH)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        # The table keeps the name it had when the model lived in the core app (moved without copying).
        db_table = "counseling_riskphrase"
        ordering = ["language", "phrase"]
        constraints = [models.UniqueConstraint(fields=["language", "phrase"], name="risk_phrase_unique")]

    def __str__(self) -> str:
        return f"[{self.language}] {self.phrase}"


class OnCallShift(models.Model):
    """Who stands behind the client's counselor, from when until when (admin-managed roster)."""

    class Role(models.TextChoices):
        ON_CALL = "on_call", _("On call")
        SUPERVISOR = "supervisor", _("Supervisor")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="on_call_shifts",
        limit_choices_to={"role__in": ["counselor", "admin"]},
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.ON_CALL)
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))

    class Meta:
        # The table keeps the name it had when the model lived in the core app (moved without copying).
        db_table = "counseling_oncallshift"
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["role", "starts_at", "ends_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="on_call_shift_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.role} {self.starts_at:%Y-%m-%d %H:%M}-{self.ends_at:%Y-%m-%d %H:%M}"


class Escalation(models.Model):
    """One emergency signal and what people did about it. Holds ids, never message text."""

    # None only for a drill (checked by the database): a drill concerns no client, so every path that
    # finds escalations through a client (their notices and help page, the caseload's risk flags,
    # retention, exports, the audit subject) finds none.
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="escalations"
    )
    counselor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    session = models.ForeignKey(
        "counseling_sessions.CounselingSession", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    message = models.ForeignKey(
        "counseling_sessions.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=24, choices=EscalationKind.choices)
    severity = models.PositiveSmallIntegerField(choices=Severity.choices)
    # One escalation per signal: e.g. "risk_phrase:message:42". A help button keeps one live
    # escalation per client; resolving it frees the key (see crisis.services).
    dedupe_key = models.CharField(max_length=96, unique=True)
    state = models.CharField(max_length=16, choices=EscalationState.choices, default=EscalationState.OPEN)
    rung = models.CharField(max_length=16, choices=Rung.choices, default=Rung.COUNSELOR)
    # When the next rung is due if nobody acknowledges; None once acknowledged or at the top.
    next_step_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(default=now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # The help button pressed again while this escalation is live: every press is counted here (one
    # UPDATE, no row); the current rung is alerted again at once, then at most once per
    # ESCALATION_REPEAT_ALERT_SECONDS (repeat_alerted_at is the claim, repeat_alerts numbers the rounds).
    presses_again = models.PositiveIntegerField(default=0)
    repeat_alerts = models.PositiveIntegerField(default=0)
    repeat_alerted_at = models.DateTimeField(null=True, blank=True)
    # Minutes each rung waits before the next: a drill's short timer. None: the severity's configured minutes.
    step_minutes = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        # The table keeps the name it had when the model lived in the core app (moved without copying).
        db_table = "counseling_escalation"
        ordering = ["-severity", "created_at"]
        indexes = [models.Index(fields=["state", "severity", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(client__isnull=False) | models.Q(kind="drill"),
                name="escalation_has_a_client_unless_drill",
            )
        ]

    def __str__(self) -> str:
        return f"escalation {self.pk} {self.kind} ({self.state})"

    @property
    def is_live(self) -> bool:
        return self.state != EscalationState.RESOLVED

    @property
    def is_drill(self) -> bool:
        return self.kind == EscalationKind.DRILL


class EscalationEvent(models.Model):
    """The timeline of an escalation. A note is clinical: sealed under the client's data key."""

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=now)
    kind = models.CharField(max_length=32)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    rung = models.CharField(max_length=16, blank=True)
    note_sealed = models.BinaryField(null=True, blank=True)
    note_ref = models.CharField(max_length=36, blank=True)

    class Meta:
        # The table keeps the name it had when the model lived in the core app (moved without copying).
        db_table = "counseling_escalationevent"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} at {self.at:%Y-%m-%d %H:%M}"

    @property
    def note_aad(self) -> str:
        return f"escalation-note:{self.escalation_id}:{self.note_ref}"


class EscalationAlert(models.Model):
    """One alert to one person on one rung: an outbox row, so delivery is retried until it is done.

    A sender claims the row with a short lease (claimed_until) by conditional update; only the
    winner sends, and marks each channel right after. A sender killed mid-way leaves the lease to
    expire and the sweep delivers it.
    """

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="alerts")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    rung = models.CharField(max_length=16, choices=Rung.choices)
    created_at = models.DateTimeField(default=now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # Each channel is marked as soon as it is done, so a retry never repeats a finished one.
    notified_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    # 0: the alert of a rung; n: the n-th repeat alert (the help button pressed again, see
    # Escalation.repeat_alerts). One row per person per rung per round, enforced by the database.
    press = models.PositiveIntegerField(default=0)

    class Meta:
        # The table keeps the name it had when the model lived in the core app (moved without copying).
        db_table = "counseling_escalationalert"
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["escalation", "rung", "recipient", "press"], name="escalation_alert_once_per_rung_and_press"
            )
        ]

    def __str__(self) -> str:
        return f"alert {self.pk} to {self.recipient_id} ({self.rung})"

    @property
    def delivered(self) -> bool:
        return self.notified_at is not None and self.emailed_at is not None
