"""A personal-data breach and what the law asks of us about it (UU PDP 27/2022 Pasal 46; GDPR Art. 33-34).

The incident holds what staff wrote about the breach (never client content); the affected set is found in
the audit log and confirmed by an admin; each affected client's notice is recorded when it was sent, and
each notice to an authority (sent outside the platform) when and how it was sent.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from counseling.clock import now


class Law(models.TextChoices):
    # UU PDP Pasal 46(1): the data subjects and the agency ("lembaga"), in writing, within 3 x 24 hours.
    UU_PDP = "uu_pdp", _("Indonesia: UU PDP 27/2022, Article 46")
    # GDPR Art. 33(1): the supervisory authority within 72 hours of becoming aware (clients in the EU/EEA).
    GDPR = "gdpr", _("EU: GDPR, Article 33")


class Incident(models.Model):
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    opened_at = models.DateTimeField(default=now)
    detected_at = models.DateTimeField(_("detected at"))
    occurred_at = models.DateTimeField(_("happened at (if known)"), null=True, blank=True)
    summary = models.TextField(_("what happened"))
    data_involved = models.TextField(_("what data was exposed"), blank=True)
    measures = models.TextField(_("what we did and are doing"), blank=True)
    client_steps = models.TextField(_("what clients can do"), blank=True)
    contact = models.TextField(_("whom to contact"), blank=True)
    # The affected set as confirmed: the audit-log search that found it, who confirmed it and when.
    window_start = models.DateTimeField(null=True, blank=True)
    window_end = models.DateTimeField(null=True, blank=True)
    actions = models.JSONField(default=list, blank=True)
    target_types = models.JSONField(default=list, blank=True)
    affected_confirmed_at = models.DateTimeField(null=True, blank=True)
    affected_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-detected_at"]

    def __str__(self) -> str:
        return f"Incident #{self.pk}"


class AffectedClient(models.Model):
    """One client in the confirmed affected set; `notice_sent_at` is when their notice went out."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="affected")
    client = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    subject_id = models.BigIntegerField()
    country = models.CharField(max_length=2, blank=True)
    in_eu = models.BooleanField(default=False)
    language = models.CharField(max_length=8, blank=True)
    notice_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["incident", "subject_id"], name="incident_affected_once")]
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"Incident #{self.incident_id}: subject {self.subject_id}"


class ClientNotice(models.Model):
    """The notice to clients in one language, drafted from notice_text and edited by an admin."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="client_notices")
    language = models.CharField(max_length=8, choices=settings.LANGUAGES)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    edited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    edited_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["incident", "language"], name="incident_notice_per_language")]

    def __str__(self) -> str:
        return f"Incident #{self.incident_id}: notice ({self.language})"


class AuthorityNotice(models.Model):
    """A notice to an authority, sent outside the platform and recorded here with its channel."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="authority_notices")
    law = models.CharField(max_length=8, choices=Law.choices)
    authority = models.CharField(max_length=300)
    body = models.TextField()
    channel = models.CharField(max_length=300)
    reference = models.CharField(max_length=200, blank=True)
    sent_at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["incident", "law"], name="incident_authority_notice_once")]

    def __str__(self) -> str:
        return f"Incident #{self.incident_id}: {self.law} notice"


class ClockReminder(models.Model):
    """One reminder mark of one clock (hours left, or "overdue"), claimed once: the unique row is the claim."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="reminders")
    law = models.CharField(max_length=8, choices=Law.choices)
    mark = models.CharField(max_length=16)
    sent_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["incident", "law", "mark"], name="incident_reminder_once")]

    def __str__(self) -> str:
        return f"Incident #{self.incident_id}: {self.law} {self.mark}"
