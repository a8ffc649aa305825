"""Intake, identity and the code word. ACA H.3 and HHS: know who the client is and plan for emergencies
before the first session. Everything personal is sealed under the client's data key (counseling.crypto)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from counseling.clock import now
from identity.dialing import dial_label, dial_link, dial_uri


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

    class Meta:
        # The table keeps the name it had when the model lived in the core app (moved without copying).
        db_table = "counseling_intake"

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
    status = models.CharField(
        max_length=16, choices=IdentityDocumentStatus.choices, default=IdentityDocumentStatus.PENDING, db_index=True
    )
    uploaded_at = models.DateTimeField(default=now)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.CharField(_("reason"), max_length=300, blank=True)
    destroyed_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        # The table keeps the name it had when the model lived in the core app (moved without copying).
        db_table = "counseling_identitydocument"
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

    class Meta:
        # The table keeps the name it had when the model lived in the core app (moved without copying).
        db_table = "counseling_codeword"

    def __str__(self) -> str:
        return f"code word of user {self.client_id}"


class CodeWordCheck(models.Model):
    """One answer to the code-word question: only whether it matched, never the attempt."""

    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session = models.ForeignKey(
        "counseling_sessions.CounselingSession", on_delete=models.CASCADE, related_name="code_word_checks"
    )
    checked_at = models.DateTimeField(default=now)
    matched = models.BooleanField()

    class Meta:
        # The table keeps the name it had when the model lived in the core app (moved without copying).
        db_table = "counseling_codewordcheck"
        ordering = ["checked_at", "id"]
        indexes = [models.Index(fields=["client", "checked_at"])]

    def __str__(self) -> str:
        return f"code word check {self.pk} ({'match' if self.matched else 'no match'})"


class CodeWordOverride(models.Model):
    """The counselor went on with a session whose code word had not matched, and wrote down why (ACA H.3).

    The reason may say something about the client ("a voice I know", "in crisis, must not wait"), so it is
    sealed under the client's data key (context `aad`); the audit entry points here and never holds it.
    """

    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session = models.ForeignKey(
        "counseling_sessions.CounselingSession", on_delete=models.CASCADE, related_name="code_word_overrides"
    )
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ref = models.UUIDField(unique=True)
    reason_sealed = models.BinaryField()
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"code word override {self.pk} of session {self.session_id}"

    @property
    def aad(self) -> str:
        return f"code-word-override:{self.client_id}:{self.ref}"


class SuitabilityOverride(models.Model):
    """A counselor read the intake of a client whose suitability screen did not pass, and decided that text
    counseling with them may go on, writing down why. From then the identity gate passes for this client with
    this counselor only. The reason is clinical: sealed under the client's data key (context `aad`); the audit
    entry names the row, never the reason."""

    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    counselor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    ref = models.UUIDField(unique=True)
    reason_sealed = models.BinaryField()
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["client", "counselor"], name="suitability_override_pair")]

    def __str__(self) -> str:
        return f"suitability override {self.pk} of client {self.client_id} by {self.counselor_id}"

    @property
    def aad(self) -> str:
        return f"suitability-override:{self.client_id}:{self.counselor_id}:{self.ref}"


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
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        # The table keeps the name it had when the model lived in the core app (moved without copying).
        db_table = "counseling_emergencyresource"
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
        return {
            "label": str(self.name),
            "number": self.dial_label,
            "tel": self.tel_uri,
            "description": str(_(self.description)) if self.description else "",
        }
