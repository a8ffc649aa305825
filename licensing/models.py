"""Jurisdictions, issuing bodies, licences, practice agreements and compact privileges.

Counseling takes place where the client is at the time (ACA H.1.b, Counseling Compact section 1),
so every licence is tied to a jurisdiction: a country (ISO 3166-1 alpha-2) and, where the law is
regional (US states, some Indonesian permits), a subdivision (ISO 3166-2). The jurisdiction gate
(licensing.selectors.jurisdiction_gate) is the one place that reads these rows to answer "may
this counselor counsel someone there, then?".
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from counseling.clock import now


class Jurisdiction(models.Model):
    """A country, or one region of it. A country-level row (region "") covers the whole country."""

    country = models.CharField(_("country (ISO 3166-1 alpha-2)"), max_length=2)
    region = models.CharField(_("region (ISO 3166-2, e.g. ID-JK, US-TX)"), max_length=6, blank=True)
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        ordering = ["country", "region"]
        constraints = [models.UniqueConstraint(fields=["country", "region"], name="jurisdiction_unique_code")]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def code(self) -> str:
        return self.region or self.country

    def covers(self, *, country: str, region: str = "") -> bool:
        """A country-level jurisdiction covers all its regions; a regional one only itself."""
        if self.country != country.upper():
            return False
        return not self.region or self.region == region.upper()


class IssuingBody(models.Model):
    """Who issues licences, and where an admin checks them (the public register)."""

    name = models.CharField(_("name"), max_length=200)
    registry_url = models.URLField(_("public register"), max_length=300)
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="issuing_bodies")

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "issuing bodies"

    def __str__(self) -> str:
        return self.name


class LicenceKind(models.TextChoices):
    # UU 23/2022 on psychology services: STR (registration) and SILP (practice permit). Clinical
    # psychologists are health workers (UU 17/2023 on health) and practise with an STR plus a SIPPK,
    # the practice permit a regency or city issues for one place (Permenkes 45/2017, arts. 3 and 5).
    STR = "str", _("STR (Surat Tanda Registrasi, psychologist registration)")
    SILP = "silp", _("SILP (Surat Izin Layanan Psikologi, practice permit)")
    SIPPK = "sippk", _("SIPPK (Surat Izin Praktik Psikolog Klinis, clinical psychologist's practice permit)")
    COUNSELOR_CERTIFICATION = "counselor_certification", _("Counselor certification")
    US_LPC = "us_lpc", _("Licensed Professional Counselor (US)")
    OTHER = "other", _("Other licence")


class LicenceState(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted, awaiting verification")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")
    EXPIRED = "expired", _("Expired")
    SUSPENDED = "suspended", _("Suspended")
    REVOKED = "revoked", _("Revoked")


# Every state move allowed, and nothing else. Expired, rejected and revoked are final: a renewed
# licence is a new submission, checked again against the register.
LICENCE_TRANSITIONS: dict[str, set[str]] = {
    LicenceState.SUBMITTED: {LicenceState.VERIFIED, LicenceState.REJECTED, LicenceState.EXPIRED},
    LicenceState.VERIFIED: {LicenceState.EXPIRED, LicenceState.SUSPENDED, LicenceState.REVOKED},
    LicenceState.SUSPENDED: {LicenceState.VERIFIED, LicenceState.REVOKED, LicenceState.EXPIRED},
    LicenceState.REJECTED: set(),
    LicenceState.EXPIRED: set(),
    LicenceState.REVOKED: set(),
}


class Licence(models.Model):
    """One licence or certification a counselor holds, as submitted and then checked by an admin.

    The evidence document (a scan of the licence) is sealed under the counselor's own data key
    (counseling.crypto) with the context "licence-evidence:<id>"; it is never served from a public
    URL, only through the audited admin view.
    """

    counselor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="licences")
    issuing_body = models.ForeignKey(
        IssuingBody, on_delete=models.PROTECT, related_name="licences", verbose_name=_("issuing body")
    )
    kind = models.CharField(_("kind"), max_length=32, choices=LicenceKind.choices)
    number = models.CharField(_("licence number"), max_length=80)
    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, related_name="licences", verbose_name=_("jurisdiction")
    )
    scope = models.CharField(_("scope of practice"), max_length=300, blank=True)
    valid_from = models.DateField(_("valid from"))
    expires_on = models.DateField(_("expires on"), help_text=_("The last day the licence is valid."))
    evidence_sealed = models.BinaryField(null=True, blank=True, editable=False)
    evidence_filename = models.CharField(max_length=200, blank=True)
    evidence_content_type = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=16, choices=LicenceState.choices, default=LicenceState.SUBMITTED)
    state_changed_at = models.DateTimeField(default=now)
    state_reason = models.CharField(max_length=500, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(default=now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # Set once each by the daily expiry job (claimed with a conditional update, so never twice).
    warned_60_at = models.DateTimeField(null=True, blank=True)
    warned_14_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["counselor", "expires_on"]
        indexes = [models.Index(fields=["state", "expires_on"]), models.Index(fields=["counselor", "state"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number} ({self.jurisdiction.code}, {self.state})"

    @property
    def evidence_context(self) -> str:
        return f"licence-evidence:{self.pk}:{self.counselor_id}"

    @property
    def has_evidence(self) -> bool:
        return bool(self.evidence_sealed)

    def is_valid_on(self, day: date) -> bool:
        return self.state == LicenceState.VERIFIED and self.valid_from <= day <= self.expires_on


class VerificationCheck(models.Model):
    """What an admin checked against the issuing body before deciding: the evidence of the check."""

    class Outcome(models.TextChoices):
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Rejected")

    licence = models.ForeignKey(Licence, on_delete=models.PROTECT, related_name="checks")
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    checked_at = models.DateTimeField(_("when the register was checked"))
    registry_reference = models.CharField(_("register reference or link checked"), max_length=300)
    registry_finding = models.TextField(_("what the register said"))
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    recorded_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-recorded_at"]

    def __str__(self) -> str:
        return f"check of licence {self.licence_id}: {self.outcome}"


class PracticeRule(models.Model):
    """What one profession must hold to practise in one jurisdiction: every RequiredCredential of it.

    Data, not code: the law changes, and admins keep these rows current in the admin site (each change
    is audit-logged). A regional rule replaces the country's rules for its region, so it lists the whole
    set. The jurisdiction gate lets a counselor counsel a client somewhere only if one active rule of
    that place is met in full; a place without a rule is refused (fail closed).
    """

    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, related_name="practice_rules", verbose_name=_("jurisdiction")
    )
    profession = models.CharField(_("profession"), max_length=160)
    legal_basis = models.TextField(
        _("legal basis"),
        help_text=_("The laws and regulations this rule follows, with articles, and where to read them."),
    )
    checked_on = models.DateField(_("checked against the law on"))
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["jurisdiction", "profession"]
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "profession"], name="practice_rule_once_per_place")
        ]

    def __str__(self) -> str:
        return f"{self.profession} in {self.jurisdiction.code}"


class RequiredCredential(models.Model):
    """One credential a rule requires. Any one of its licence kinds meets it, if verified and valid then."""

    rule = models.ForeignKey(PracticeRule, on_delete=models.CASCADE, related_name="credentials")
    label = models.CharField(_("what is required"), max_length=160)
    licence_kinds = models.CharField(
        _("licence kinds"),
        max_length=200,
        help_text=_("Comma-separated licence kinds, any one of which meets it, e.g. sippk,silp"),
    )
    anywhere_in_jurisdiction = models.BooleanField(
        _("issued anywhere in the rule's jurisdiction"),
        default=False,
        help_text=_(
            "Tick for a permit tied to the counselor's own place of practice (Indonesia's SIPPK is issued by "
            "the regency or city where they practise). Untick when the licence must cover the client's own "
            "region (a US state licence)."
        ),
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["rule", "position", "pk"]

    def __str__(self) -> str:
        return self.label

    @property
    def kinds(self) -> set[str]:
        return {kind.strip() for kind in self.licence_kinds.split(",") if kind.strip()}


class PracticeAgreement(models.Model):
    """An agreement that extends a licence to other jurisdictions, e.g. the US Counseling Compact.

    A licence in a member jurisdiction grants a privilege in the other members only once that
    privilege is recorded (CompactPrivilege); membership alone grants nothing.
    """

    name = models.CharField(_("name"), max_length=160, unique=True)
    url = models.URLField(_("website"), max_length=300, blank=True)
    licence_kinds = models.CharField(
        max_length=200, help_text="Comma-separated licence kinds the agreement covers, e.g. us_lpc"
    )
    members = models.ManyToManyField(Jurisdiction, related_name="agreements", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def covers_kind(self, kind: str) -> bool:
        return kind in {k.strip() for k in self.licence_kinds.split(",")}


class CompactPrivilege(models.Model):
    """A recorded privilege to practise in a member jurisdiction, resting on a home licence.

    Valid only while the home licence is verified and unexpired, both jurisdictions are members of
    the agreement and the privilege itself is not revoked.
    """

    counselor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="privileges")
    agreement = models.ForeignKey(PracticeAgreement, on_delete=models.PROTECT, related_name="privileges")
    home_licence = models.ForeignKey(Licence, on_delete=models.PROTECT, related_name="privileges")
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="privileges")
    privilege_number = models.CharField(_("privilege number"), max_length=80, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["counselor", "jurisdiction"]
        constraints = [
            models.UniqueConstraint(
                fields=["home_licence", "jurisdiction"], name="privilege_once_per_licence_and_place"
            )
        ]

    def __str__(self) -> str:
        return f"privilege of {self.counselor_id} in {self.jurisdiction.code} via {self.agreement}"


class LapseNotice(models.Model):
    """A client told that their counselor may no longer counsel them where they are.

    One per client and lapsed licence (the unique constraint makes the expiry job idempotent);
    shown on the client's directory page with the offer of another counselor or in-person care.
    """

    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lapse_notices")
    counselor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="lapse_notices")
    created_at = models.DateTimeField(default=now)
    dismissed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["client", "licence"], name="lapse_notice_once")]

    def __str__(self) -> str:
        return f"lapse notice to {self.client_id} about licence {self.licence_id}"
