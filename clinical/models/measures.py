"""Outcome measures (PHQ-9, GAD-7): the schedule a counselor sets per client, and each response.

A response's answers, total and band are sealed together under the client's data key (context `aad`);
only the instrument, the wording's language and the time stay in the clear (the schedule's due logic needs them).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from clinical.instruments import INSTRUMENT_CHOICES
from counseling.clock import now


class Cadence(models.TextChoices):
    BEFORE_EACH_SESSION = "before_session", _("Before every session")
    EVERY_N_WEEKS = "every_weeks", _("Every N weeks")


class MeasureSchedule(models.Model):
    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    counselor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    instrument = models.CharField(max_length=8, choices=INSTRUMENT_CHOICES)
    cadence = models.CharField(max_length=16, choices=Cadence.choices, default=Cadence.BEFORE_EACH_SESSION)
    every_weeks = models.PositiveSmallIntegerField(null=True, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["instrument"]
        constraints = [
            models.UniqueConstraint(fields=["client", "counselor", "instrument"], name="measure_schedule_one_per_pair"),
            models.CheckConstraint(
                condition=~models.Q(cadence="every_weeks") | models.Q(every_weeks__gte=1),
                name="measure_schedule_weeks_set",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument} schedule {self.pk} of client {self.client_id}"


class MeasureResponse(models.Model):
    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    counselor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    schedule = models.ForeignKey(MeasureSchedule, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    instrument = models.CharField(max_length=8, choices=INSTRUMENT_CHOICES)
    language = models.CharField(max_length=8)
    ref = models.UUIDField(unique=True)
    answers_sealed = models.BinaryField()
    submitted_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["submitted_at", "id"]
        indexes = [models.Index(fields=["client", "counselor", "instrument", "submitted_at"])]

    def __str__(self) -> str:
        return f"{self.instrument} response {self.pk} of client {self.client_id}"

    @property
    def aad(self) -> str:
        return f"measure-response:{self.client_id}:{self.ref}"
