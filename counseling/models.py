import hashlib
import json
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils.translation import gettext_lazy as _

from counseling.clock import now
from counseling.dialing import dial_label, dial_link, dial_uri

TIME_ZONE_CHOICES = sorted((name, name) for name in zoneinfo.available_timezones() if "/" in name)


class Role(models.TextChoices):
    CLIENT = "client", _("Client")
    COUNSELOR = "counselor", _("Counselor")
    ADMIN = "admin", _("Admin")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email, password, **fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **fields):
        fields.setdefault("role", Role.CLIENT)
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email, password=None, **fields):
        fields.update(role=Role.ADMIN, is_staff=True, is_superuser=True)
        return self._create(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """One account per person, e-mail as login. The role decides what the person may see."""

    email = models.EmailField(_("e-mail address"), unique=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CLIENT)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    def __str__(self) -> str:
        return self.email

    @property
    def is_client(self) -> bool:
        return self.role == Role.CLIENT

    @property
    def is_counselor(self) -> bool:
        return self.role == Role.COUNSELOR

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def display_name(self) -> str:
        """The name other people see: a client's pseudonym, a counselor's professional name."""
        profile = getattr(self, "client_profile", None) or getattr(self, "counselor_profile", None)
        return profile.display_name if profile else self.email.split("@")[0]


class ClientProfile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="client_profile")
    # Counselors see this by default; the legal name is kept apart, encrypted, at intake.
    display_name = models.CharField(_("display name or pseudonym"), max_length=80)
    preferred_language = models.CharField(_("preferred language"), max_length=8,
                                          choices=settings.LANGUAGES, default="id")
    time_zone = models.CharField(_("time zone"), max_length=64, choices=TIME_ZONE_CHOICES,
                                 default="Asia/Jakarta")

    def __str__(self) -> str:
        return self.display_name


class CounselorProfile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="counselor_profile")
    display_name = models.CharField(_("professional name"), max_length=120)
    professional_title = models.CharField(_("professional title"), max_length=160)
    bio = models.TextField(_("biography"), blank=True)
    languages = models.CharField(_("languages"), max_length=64, default="id,en",
                                 help_text=_("Comma-separated language codes, e.g. id,en"))
    time_zone = models.CharField(_("time zone"), max_length=64, choices=TIME_ZONE_CHOICES,
                                 default="Asia/Jakarta")
    practice_location = models.CharField(_("physical location of practice"), max_length=200)
    practice_country = models.CharField(_("country of practice (ISO 3166-1)"), max_length=2, default="ID")
    contact_email = models.EmailField(_("professional contact e-mail"), blank=True)
    contact_phone = models.CharField(_("professional contact phone"), max_length=32, blank=True)
    response_time_promise_hours = models.PositiveIntegerField(
        _("promised reply time between sessions (hours)"), default=24)
    caseload_limit = models.PositiveIntegerField(_("caseload limit"), default=30)

    def __str__(self) -> str:
        return f"{self.display_name}, {self.professional_title}"

    @property
    def language_codes(self) -> list[str]:
        return [code.strip() for code in self.languages.split(",") if code.strip()]


class DataKey(models.Model):
    """A person's own data key, stored only wrapped by a key-encryption key (counseling.crypto).

    Destroying it (crypto-shredding) makes every ciphertext sealed under it unreadable, in every
    copy of the database, backups included.
    """

    owner = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 related_name="data_key")
    kek_id = models.CharField(max_length=32)
    wrapped_key = models.BinaryField(null=True)
    created_at = models.DateTimeField(default=now)
    rewrapped_at = models.DateTimeField(null=True, blank=True)
    destroyed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"data key of user {self.owner_id} ({'destroyed' if self.destroyed_at else self.kek_id})"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("The audit log is append-only.")

    def delete(self):
        raise PermissionError("The audit log is append-only.")


class AuditChainHead(models.Model):
    """A single row whose lock serialises appends, so the hash chain never forks."""

    last_hash = models.CharField(max_length=64, default="0" * 64)
    length = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"audit chain head at #{self.length}"


class AuditEntry(models.Model):
    """Who did what to which record, when and from where. Append-only and hash-chained.

    The actor is kept as an id and a label, not a foreign key, so that deleting an account can
    never rewrite or remove its history.
    """

    sequence = models.BigIntegerField(unique=True)
    at = models.DateTimeField(default=now, db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor_label = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True, db_index=True)
    subject_id = models.BigIntegerField(null=True, blank=True, db_index=True,
                                        help_text="The client whose data this concerns, if any.")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["sequence"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} {self.target_type}:{self.target_id} by {self.actor_label}"

    def compute_hash(self) -> str:
        payload = {
            "sequence": self.sequence,
            "at": self.at.isoformat(),
            "actor_id": self.actor_id,
            "actor_label": self.actor_label,
            "action": self.action,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "subject_id": self.subject_id,
            "ip_address": self.ip_address,
            "detail": self.detail,
            "prev_hash": self.prev_hash,
        }
        canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        return hashlib.sha256(canonical.encode()).hexdigest()

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The audit log is append-only.")


# --- Emergency escalation (issue 8) -------------------------------------------------------------
# An escalation is the database record of one emergency signal; the row, not a queued task, is the
# record of truth, so a lost task or a dead worker delays an alert by one sweep and never drops it.


class EscalationKind(models.TextChoices):
    HELP_BUTTON = "help_button", _("Help button pressed")
    RISK_PHRASE = "risk_phrase", _("Risk phrase in a message")
    REPLY_OVERDUE = "reply_overdue", _("Message left unanswered past the promised time")
    NO_EMERGENCY_PLAN = "no_emergency_plan", _("Location confirmed without an emergency plan")


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


class RiskPhrase(models.Model):
    """An admin-editable phrase that opens an escalation when a client writes it (matched normalised)."""

    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    phrase = models.CharField(_("phrase"), max_length=120)
    severity = models.PositiveSmallIntegerField(_("severity"), choices=Severity.choices, default=Severity.HIGH)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["language", "phrase"]
        constraints = [models.UniqueConstraint(fields=["language", "phrase"], name="risk_phrase_unique")]

    def __str__(self) -> str:
        return f"[{self.language}] {self.phrase}"


class OnCallShift(models.Model):
    """Who stands behind the client's counselor, from when until when (admin-managed roster)."""

    class Role(models.TextChoices):
        ON_CALL = "on_call", _("On call")
        SUPERVISOR = "supervisor", _("Supervisor")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="on_call_shifts",
                             limit_choices_to={"role__in": ["counselor", "admin"]})
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.ON_CALL)
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["role", "starts_at", "ends_at"])]
        constraints = [models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")),
                                              name="on_call_shift_ends_after_start")]

    def __str__(self) -> str:
        return f"{self.user} {self.role} {self.starts_at:%Y-%m-%d %H:%M}-{self.ends_at:%Y-%m-%d %H:%M}"


class Escalation(models.Model):
    """One emergency signal and what people did about it. Holds ids, never message text."""

    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="escalations")
    counselor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+")
    session = models.ForeignKey("counseling_sessions.CounselingSession", on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="+")
    message = models.ForeignKey("counseling_sessions.Message", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+")
    kind = models.CharField(max_length=24, choices=EscalationKind.choices)
    severity = models.PositiveSmallIntegerField(choices=Severity.choices)
    # One escalation per signal: e.g. "risk_phrase:message:42". A help button keeps one live
    # escalation per client; resolving it frees the key (see counseling.escalation).
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

    class Meta:
        ordering = ["-severity", "created_at"]
        indexes = [models.Index(fields=["state", "severity", "created_at"])]

    def __str__(self) -> str:
        return f"escalation {self.pk} {self.kind} ({self.state})"

    @property
    def is_live(self) -> bool:
        return self.state != EscalationState.RESOLVED


class EscalationEvent(models.Model):
    """The timeline of an escalation. A note is clinical: sealed under the client's data key."""

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=now)
    kind = models.CharField(max_length=32)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    rung = models.CharField(max_length=16, blank=True)
    note_sealed = models.BinaryField(null=True, blank=True)
    note_ref = models.CharField(max_length=36, blank=True)

    class Meta:
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
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["escalation", "rung", "recipient", "press"],
                                               name="escalation_alert_once_per_rung_and_press")]

    def __str__(self) -> str:
        return f"alert {self.pk} to {self.recipient_id} ({self.rung})"

    @property
    def delivered(self) -> bool:
        return self.notified_at is not None and self.emailed_at is not None


# --- Retention (issue 8) --------------------------------------------------------------------------


class RetentionRule(models.Model):
    """How long a jurisdiction requires records to be kept. The longest applicable rule wins.

    country "" applies everywhere (the APA default of 7 years after last contact); region "" applies
    to the whole country.
    """

    name = models.CharField(_("name"), max_length=120)
    country = models.CharField(_("country (ISO 3166-1, empty: everywhere)"), max_length=2, blank=True)
    region = models.CharField(_("region (ISO 3166-2, empty: whole country)"), max_length=6, blank=True)
    years_after_last_contact = models.PositiveSmallIntegerField(_("years after last contact"), default=7)
    age_of_majority = models.PositiveSmallIntegerField(_("age of majority"), default=18)
    years_after_majority = models.PositiveSmallIntegerField(_("years after a minor comes of age"), default=3)
    citation = models.CharField(_("legal source"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["country", "region", "name"]

    def __str__(self) -> str:
        return self.name


class LegalHold(models.Model):
    """Stops every destruction of one client's data until released (litigation, investigation)."""

    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="legal_holds",
                               limit_choices_to={"role": "client"})
    reason = models.CharField(_("reason (no clinical detail)"), max_length=200)
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+")
    placed_at = models.DateTimeField(default=now)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-placed_at"]

    def __str__(self) -> str:
        return f"legal hold on {self.client_id} ({'released' if self.released_at else 'active'})"


class RetentionTombstone(models.Model):
    """What is kept after a client's data is destroyed: who, when, under which rule. No content.

    Ids, not foreign keys: the rows it speaks of are gone. Its existence is the claim on the
    destruction (unique subject), so two runs never destroy the same client twice.
    """

    subject_id = models.BigIntegerField(unique=True)
    destroyed_at = models.DateTimeField(default=now)
    destroyed_by = models.CharField(max_length=254)
    rule = models.CharField(max_length=200)
    retention_ended_on = models.DateField(null=True, blank=True)
    last_contact_at = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True, help_text="When the last row was deleted")

    class Meta:
        ordering = ["-destroyed_at"]

    def __str__(self) -> str:
        return f"tombstone of client {self.subject_id}"


class ErasureRequest(models.Model):
    """A client's request to erase their data, answered by staff against the retention duties."""

    class Decision(models.TextChoices):
        PENDING = "pending", _("Waiting for an answer")
        ERASE_NOW = "erase_now", _("Erase now")
        KEEP_UNTIL = "keep_until", _("Keep until a date")

    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="erasure_requests")
    subject_id = models.BigIntegerField(db_index=True)
    requested_at = models.DateTimeField(default=now)
    decision = models.CharField(max_length=16, choices=Decision.choices, default=Decision.PENDING)
    keep_until = models.DateField(null=True, blank=True)
    rule = models.CharField(max_length=200, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"erasure request {self.pk} ({self.decision})"


# --- Intake, identity, code word and emergency resources (issue 4) ------------------------------
# ACA H.3 and HHS: know who the client is and where they are, and plan for emergencies before the
# first session. Everything personal is sealed under the client's data key (counseling.crypto).


class Intake(models.Model):
    """A client's intake. The personal answers are one sealed JSON blob (context "intake:<client>").

    Only flags the gates need are kept in the clear; they reveal no personal detail.
    """

    client = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="intake")
    answers_sealed = models.BinaryField()
    emergency_contact_authorised = models.BooleanField(default=False)
    has_connection_plan = models.BooleanField(default=False)
    is_minor = models.BooleanField(default=False)
    guardian_consent_recorded = models.BooleanField(default=False)
    suitability_passed = models.BooleanField(default=False)
    completed_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)

    def __str__(self) -> str:
        return f"intake of user {self.client_id}"

    @property
    def aad(self) -> str:
        return f"intake:{self.client_id}"

    @property
    def has_emergency_plan(self) -> bool:
        return self.emergency_contact_authorised and self.has_connection_plan


class IdentityDocumentStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for review")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")


class IdentityDocument(models.Model):
    """An ID document the client uploaded, sealed under their data key; destroyed after review.

    After destruction only the result, who reviewed it and when remain (ACA H.3, UU PDP data
    minimisation).
    """

    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="identity_documents")
    ref = models.UUIDField(unique=True)
    content_type = models.CharField(max_length=32)
    size_bytes = models.PositiveIntegerField()
    content_sealed = models.BinaryField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=IdentityDocumentStatus.choices,
                              default=IdentityDocumentStatus.PENDING, db_index=True)
    uploaded_at = models.DateTimeField(default=now)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.CharField(_("reason"), max_length=300, blank=True)
    destroyed_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return f"identity document {self.pk} of user {self.client_id} ({self.status})"

    @property
    def aad(self) -> str:
        return f"identity-document:{self.client_id}:{self.ref}"


class CodeWord(models.Model):
    """The client's code word or phrase, hashed like a password; checked at the start of sessions."""

    client = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="code_word")
    hashed = models.CharField(max_length=256)
    set_at = models.DateTimeField(default=now)

    def __str__(self) -> str:
        return f"code word of user {self.client_id}"


class CodeWordCheck(models.Model):
    """One answer to the code-word question: only whether it matched, never the attempt."""

    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session = models.ForeignKey("counseling_sessions.CounselingSession", on_delete=models.CASCADE,
                                related_name="code_word_checks")
    checked_at = models.DateTimeField(default=now)
    matched = models.BooleanField()

    class Meta:
        ordering = ["checked_at", "id"]
        indexes = [models.Index(fields=["client", "checked_at"])]

    def __str__(self) -> str:
        return f"code word check {self.pk} ({'match' if self.matched else 'no match'})"


class EmergencyResource(models.Model):
    """An emergency or crisis number for a country or one region of it (admin-edited).

    Several per place, never a single number (crisis-line practice). A region's page shows its own
    rows first, then the country's. A row is shown only once an admin has confirmed it against its
    official source (checked_on); changing the number, menu digit, channel or source takes it off the
    pages again until someone confirms it anew. Rows not confirmed for EMERGENCY_NUMBER_RECHECK_DAYS
    are listed on the staff dashboard.
    """

    class Channel(models.TextChoices):
        CALL = "call", _("phone call")
        TEXT = "text", _("text message")

    country = models.CharField(_("country (ISO 3166-1 alpha-2)"), max_length=2, db_index=True)
    region = models.CharField(_("region (ISO 3166-2, blank for the whole country)"), max_length=6, blank=True)
    name = models.CharField(_("name"), max_length=120)
    number = models.CharField(_("number"), max_length=32)
    extension = models.CharField(_("menu digit to press after the call connects"), max_length=32, blank=True)
    channel = models.CharField(_("how to reach it"), max_length=8, choices=Channel.choices, default=Channel.CALL)
    description = models.CharField(_("what it is for"), max_length=240, blank=True)
    hours = models.CharField(_("hours"), max_length=60, blank=True, default="24/7")
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    source_url = models.URLField(_("official source"), max_length=300, blank=True)
    checked_on = models.DateField(_("checked against the source on"), null=True, blank=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["country", "region", "sort_order", "name"]

    def __str__(self) -> str:
        return f"{self.region or self.country}: {self.name} {self.number}"

    @property
    def tel_uri(self) -> str:
        return dial_uri(number=self.number, extension=self.extension, channel=self.channel)

    @property
    def dial_label(self) -> str:
        return dial_label(number=self.number, extension=self.extension, channel=self.channel)

    @property
    def link(self):
        return dial_link(number=self.number, extension=self.extension, channel=self.channel)

    def as_alert_item(self) -> dict:
        """The JSON form sent to open pages (help alerts): what to show and what to dial."""
        return {"label": str(self.name), "number": self.dial_label, "tel": self.tel_uri,
                "description": str(_(self.description)) if self.description else ""}
