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


class Conversation(models.Model):
    """The one conversation between a client and a counselor: session chat and messages between sessions."""

    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="client_conversations")
    counselor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="counselor_conversations")
    created_at = models.DateTimeField(default=now)
    last_seq = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "counselor"], name="one_conversation_per_pair")]

    def __str__(self) -> str:
        return f"conversation {self.pk}"

    def is_participant(self, user) -> bool:
        return user.pk in (self.client_id, self.counselor_id)


class Message(models.Model):
    """One chat message, sealed under the client's data key (counseling.crypto).

    The associated data is "message:<conversation>:<sender>:<seq>", so a body copied to another
    row or conversation fails to open. No plaintext is ever stored.
    """

    conversation = models.ForeignKey(Conversation, on_delete=models.PROTECT, related_name="messages")
    session = models.ForeignKey(CounselingSession, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="messages")
    seq = models.BigIntegerField()
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    client_msg_id = models.UUIDField()
    body_sealed = models.BinaryField()
    created_at = models.DateTimeField(default=now)
    read_at = models.DateTimeField(null=True, blank=True)
    # When a client's message must be answered by, from the counselor's response-time promise.
    reply_due_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["conversation", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="message_seq_unique"),
            models.UniqueConstraint(fields=["conversation", "client_msg_id"], name="message_client_id_unique"),
        ]

    def __str__(self) -> str:
        return f"message {self.conversation_id}#{self.seq}"

    @property
    def aad(self) -> str:
        return f"message:{self.conversation_id}:{self.sender_id}:{self.seq}"
