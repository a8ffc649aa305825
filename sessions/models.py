from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from counseling.clock import now


class SessionState(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    NO_SHOW = "no_show", _("No-show")


class CounselingSession(models.Model):
    """One booked appointment between a client and a counselor; its chat belongs to it.

    State moves are made by sessions.services alone. The client's location is confirmed before
    the session starts and decides jurisdiction and the emergency numbers shown (ACA H.1.b).
    """

    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="client_sessions")
    counselor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="counselor_sessions")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    state = models.CharField(max_length=16, choices=SessionState.choices, default=SessionState.SCHEDULED)
    location_country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2")
    location_region = models.CharField(max_length=6, blank=True, help_text="ISO 3166-2 subdivision, e.g. ID-JK")
    location_confirmed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["counselor", "starts_at"]), models.Index(fields=["client", "starts_at"])]

    def __str__(self) -> str:
        return f"session {self.pk} {self.starts_at:%Y-%m-%d %H:%M} ({self.state})"

    def is_participant(self, user) -> bool:
        return user.pk in (self.client_id, self.counselor_id)
