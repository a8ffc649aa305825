"""Records and retention: the rules, legal holds, the tombstones of destroyed clients, erasure requests."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from counseling.clock import now


class RetentionRule(models.Model):
    """How long a jurisdiction requires records to be kept. The longest applicable rule wins.

    country "" applies everywhere (the APA default of 7 years after last contact); region "" applies
    to the whole country. A rule applies to a client through their own places and through the places of
    their counselors' licences (records.services.retention_places).
    """

    name = models.CharField(_("name"), max_length=120)
    country = models.CharField(_("country (ISO 3166-1, empty: everywhere)"), max_length=2, blank=True)
    region = models.CharField(_("region (ISO 3166-2, empty: whole country)"), max_length=6, blank=True)
    years_after_last_contact = models.PositiveSmallIntegerField(_("years after last contact"), default=7)
    age_of_majority = models.PositiveSmallIntegerField(_("age of majority"), default=18)
    years_after_majority = models.PositiveSmallIntegerField(_("years after a minor comes of age"), default=3)
    # Every rule names the law or guideline it follows, so an admin (and a lawyer re-checking it) sees why
    # records are kept that long; the seeded rules say which sources must still be re-checked.
    citation = models.CharField(
        _("legal source"),
        max_length=500,
        help_text=_("The law, regulation or guideline this rule follows, with the article, and what to re-check."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        # The table keeps the name it had when the model lived in the core app (moved without copying).
        db_table = "counseling_retentionrule"
        ordering = ["country", "region", "name"]

    def __str__(self) -> str:
        return self.name


class LegalHoldQuerySet(models.QuerySet):
    def delete(self):
        raise PermissionError("A legal hold is never deleted; release it with a reason (records.services).")


class LegalHold(models.Model):
    """Stops every destruction of one client's data until released (litigation, investigation).

    Never deleted, only released with a reason (`records.services.legal_hold_release`), so that who held a
    client's records, why and until when stays on record. The one exception is the retention purge: once a
    client's retention has ended with no hold active, the account goes, and its released holds with it
    (`client_purge_batch` names them in the audit log first).
    """

    client = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="legal_holds",
        limit_choices_to={"role": "client"},
    )
    reason = models.CharField(_("reason (no clinical detail)"), max_length=200)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    placed_at = models.DateTimeField(default=now)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    release_reason = models.CharField(_("reason for release (no clinical detail)"), max_length=200, blank=True)

    objects = LegalHoldQuerySet.as_manager()

    class Meta:
        # The table keeps the name it had when the model lived in the core app (moved without copying).
        db_table = "counseling_legalhold"
        ordering = ["-placed_at"]

    def __str__(self) -> str:
        return f"legal hold on {self.client_id} ({'released' if self.released_at else 'active'})"

    def delete(self, *args, **kwargs):
        raise PermissionError("A legal hold is never deleted; release it with a reason (records.services).")


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
        # The table keeps the name it had when the model lived in the core app (moved without copying).
        db_table = "counseling_retentiontombstone"
        ordering = ["-destroyed_at"]

    def __str__(self) -> str:
        return f"tombstone of client {self.subject_id}"


class ErasureRequest(models.Model):
    """A client's request to erase their data, answered by staff against the retention duties."""

    class Decision(models.TextChoices):
        PENDING = "pending", _("Waiting for an answer")
        ERASE_NOW = "erase_now", _("Erase now")
        KEEP_UNTIL = "keep_until", _("Keep until a date")

    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="erasure_requests"
    )
    subject_id = models.BigIntegerField(db_index=True)
    requested_at = models.DateTimeField(default=now)
    decision = models.CharField(max_length=16, choices=Decision.choices, default=Decision.PENDING)
    keep_until = models.DateField(null=True, blank=True)
    rule = models.CharField(max_length=200, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # The table keeps the name it had when the model lived in the core app (moved without copying).
        db_table = "counseling_erasurerequest"
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"erasure request {self.pk} ({self.decision})"
