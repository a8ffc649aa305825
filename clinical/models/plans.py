"""Treatment plans: one per client and counselor, goals with target dates and a status, reviewed on a schedule.

A goal's text is clinical: sealed under the client's data key (context `aad`), so it follows retention,
crypto-shredding, key rotation and the client's export with the rest of their record
(clinical.receivers_plans_measures).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from counseling.clock import now


class GoalStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    MET = "met", _("Met")
    REVISED = "revised", _("Revised")
    DISCONTINUED = "discontinued", _("Discontinued")


class TreatmentPlan(models.Model):
    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    counselor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    review_every_weeks = models.PositiveSmallIntegerField(default=12)
    next_review_on = models.DateField(null=True, blank=True, db_index=True)
    last_reviewed_at = models.DateTimeField(null=True, blank=True)
    # The client sees the plan only while the counselor shares it.
    shared_with_client = models.BooleanField(default=False)
    shared_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "counselor"], name="treatment_plan_one_per_pair")]

    def __str__(self) -> str:
        return f"treatment plan {self.pk} of client {self.client_id}"


class PlanGoal(models.Model):
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.CASCADE, related_name="goals")
    # The client again, so the sealed field's owner and the bulk deletion need no join.
    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    ref = models.UUIDField(unique=True)
    text_sealed = models.BinaryField()
    target_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=GoalStatus.choices, default=GoalStatus.ACTIVE)
    status_changed_at = models.DateTimeField(default=now)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"goal {self.pk} of plan {self.plan_id}"

    @property
    def aad(self) -> str:
        return f"plan-goal:{self.client_id}:{self.ref}"
