"""Informed consent as structured, versioned data (ACA 2014 H.2.a, A.2.a).

A `ConsentVersion` is one language's text of the consent document at one version number, made of
one `ConsentSection` per required element (`ELEMENTS`). Drafts can be edited; a published version
is immutable (editing means a new version), and the model and its querysets refuse changes to it.
A `ConsentAcceptance` records who accepted which version, the SHA-256 of the exact text rendered
to them (counselor disclosure included), the language, time, IP address and user agent.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from counseling.clock import now

# The required elements of distance-counseling consent, in the order they are shown. The keys are
# stable (stored in sections and in acknowledgements); the titles are only the defaults of new drafts.
ELEMENTS: list[tuple[str, str]] = [
    ("counselor", _("Your counselor: credentials, place of practice and contact")),
    ("risks_benefits", _("Benefits and risks of online counseling")),
    ("technology_failure", _("If the technology fails")),
    ("response_times", _("How quickly we answer")),
    ("emergencies", _("Emergencies and when your counselor is not available")),
    ("differences", _("Time-zone, cultural and language differences")),
    ("insurance", _("Insurance")),
    ("social_media", _("Social media")),
    ("records_access", _("Who can see your records, and protecting your own devices")),
    ("face_to_face", _("Face-to-face counseling is an alternative")),
    ("confidentiality_limits", _("The limits of confidentiality online")),
    ("jurisdiction", _("Your legal rights and the law that applies")),
    ("identity_location", _("Knowing who and where you are")),
    ("retention", _("How long records are kept and how they are destroyed")),
]
ELEMENT_KEYS: list[str] = [key for key, _title in ELEMENTS]
ELEMENT_TITLES: dict[str, str] = dict(ELEMENTS)


class ImmutableConsentError(ValidationError):
    """Raised on any attempt to change or delete a published consent version or its sections."""


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class ConsentVersionQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=VersionStatus.PUBLISHED)

    def in_force(self, at=None):
        return self.published().filter(effective_at__lte=at or now())

    def update(self, **kwargs):
        # Publishing is itself a conditional update on drafts (filter(status=DRAFT)); any bulk update
        # that would touch a published row is refused.
        if self.filter(status=VersionStatus.PUBLISHED).exists():
            raise ImmutableConsentError(_("A published consent version cannot be changed."))
        return super().update(**kwargs)

    def delete(self):
        if self.filter(status=VersionStatus.PUBLISHED).exists():
            raise ImmutableConsentError(_("A published consent version cannot be deleted."))
        return super().delete()


class ConsentVersion(models.Model):
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    number = models.PositiveIntegerField(_("version number"))
    status = models.CharField(max_length=16, choices=VersionStatus.choices, default=VersionStatus.DRAFT)
    effective_at = models.DateTimeField(_("in force from"), default=now)
    change_summary = models.TextField(_("what changed"), blank=True)
    created_at = models.DateTimeField(default=now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ConsentVersionQuerySet.as_manager()

    class Meta:
        ordering = ["language", "-number"]
        constraints = [models.UniqueConstraint(fields=["language", "number"], name="consent_version_unique")]

    def __str__(self) -> str:
        return f"consent v{self.number} ({self.language}, {self.status})"

    @property
    def is_published(self) -> bool:
        return self.status == VersionStatus.PUBLISHED

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            stored = ConsentVersion.objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if stored == VersionStatus.PUBLISHED:
                raise ImmutableConsentError(_("A published consent version cannot be changed; create a new version."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.is_published:
            raise ImmutableConsentError(_("A published consent version cannot be deleted."))
        return super().delete(*args, **kwargs)


class ConsentSectionQuerySet(models.QuerySet):
    def _touches_published(self) -> bool:
        return self.filter(version__status=VersionStatus.PUBLISHED).exists()

    def update(self, **kwargs):
        if self._touches_published():
            raise ImmutableConsentError(_("A published consent version cannot be changed."))
        return super().update(**kwargs)

    def delete(self):
        if self._touches_published():
            raise ImmutableConsentError(_("A published consent version cannot be changed."))
        return super().delete()


class ConsentSection(models.Model):
    version = models.ForeignKey(ConsentVersion, on_delete=models.PROTECT, related_name="sections")
    key = models.CharField(max_length=32, choices=[(key, title) for key, title in ELEMENTS])
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(_("title"), max_length=200, blank=True)
    body = models.TextField(_("text"), blank=True)

    objects = ConsentSectionQuerySet.as_manager()

    class Meta:
        ordering = ["version", "position"]
        constraints = [models.UniqueConstraint(fields=["version", "key"], name="consent_section_unique")]

    def __str__(self) -> str:
        return f"{self.version}: {self.key}"

    def _version_published(self) -> bool:
        return ConsentVersion.objects.filter(pk=self.version_id, status=VersionStatus.PUBLISHED).exists()

    def save(self, *args, **kwargs):
        if self._version_published():
            raise ImmutableConsentError(_("A published consent version cannot be changed; create a new version."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self._version_published():
            raise ImmutableConsentError(_("A published consent version cannot be changed."))
        return super().delete(*args, **kwargs)


class ConsentAcceptance(models.Model):
    """One client's acceptance of one version, as it was rendered to them (with one counselor's disclosure).

    `text_sha256` is the hash of `rendered_text`, which is exactly the text the client was shown
    (consent.rendering.consent_render). Withdrawal keeps the row (records are kept per retention
    policy) and sets `withdrawn_at`.
    """

    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="consent_acceptances")
    version = models.ForeignKey(ConsentVersion, on_delete=models.PROTECT, related_name="acceptances")
    counselor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Whose disclosure was part of the text, if any.",
    )
    language = models.CharField(max_length=8, choices=settings.LANGUAGES)
    text_sha256 = models.CharField(max_length=64)
    rendered_text = models.TextField()
    acknowledged_sections = models.JSONField(default=list)
    accepted_at = models.DateTimeField(default=now)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-accepted_at"]
        indexes = [models.Index(fields=["client", "withdrawn_at"])]

    def __str__(self) -> str:
        return f"acceptance {self.pk} of {self.version} by user {self.client_id}"
