"""Progress notes (one per session), their addenda, supervision, and the client's access to their notes.

Every text a counselor writes about a client is sealed under the client's data key (counseling.crypto) and
registered with records.registry (clinical.receivers), so it follows key rotation, retention and crypto-shredding.
A signed note is locked (ACA A.1.b, APA Record Keeping Guidelines 2007, guideline 4: a record is not altered
after the fact): later changes are addenda, each with its time and author.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from counseling.clock import now


class NoteStructure(models.TextChoices):
    SOAP = "soap", _("SOAP (subjective, objective, assessment, plan)")
    DAP = "dap", _("DAP (data, assessment, plan)")
    BIRP = "birp", _("BIRP (behaviour, intervention, response, plan)")
    FREE = "free", _("Free text")


# The sections of each structure, in the order they are written. The sealed content is a JSON object of these keys.
NOTE_SECTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    NoteStructure.SOAP: (
        ("subjective", _("Subjective: what the client reports")),
        ("objective", _("Objective: what the counselor observed")),
        ("assessment", _("Assessment")),
        ("plan", _("Plan")),
    ),
    NoteStructure.DAP: (
        ("data", _("Data: what the client said and did")),
        ("assessment", _("Assessment")),
        ("plan", _("Plan")),
    ),
    NoteStructure.BIRP: (
        ("behaviour", _("Behaviour: what the client presented")),
        ("intervention", _("Intervention: what the counselor did")),
        ("response", _("Response: how the client responded")),
        ("plan", _("Plan")),
    ),
    NoteStructure.FREE: (("text", _("Note")),),
}


class NoteLocked(Exception):
    """A signed note was about to be changed; only an addendum may follow it."""


class NoteState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SIGNED = "signed", _("Signed")


class ProgressNote(models.Model):
    """The counselor's note of one session. Changed only by clinical.notes (drafts); once signed it is locked.

    A counselor in training signs too, but the note is complete only once their supervisor co-signed it.
    """

    session = models.OneToOneField(
        "counseling_sessions.CounselingSession", on_delete=models.PROTECT, related_name="progress_note"
    )
    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="progress_notes")
    counselor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="progress_notes_written"
    )
    structure = models.CharField(max_length=8, choices=NoteStructure.choices, default=NoteStructure.SOAP)
    content_sealed = models.BinaryField(null=True, blank=True)
    state = models.CharField(max_length=8, choices=NoteState.choices, default=NoteState.DRAFT)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(default=now)
    signed_at = models.DateTimeField(null=True, blank=True)
    # Set at signing when the author was in training then; complete once co-signed (cosigned_at).
    cosign_required = models.BooleanField(default=False)
    cosigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cosigned_at = models.DateTimeField(null=True, blank=True)

    # What a signature fixes: none of it changes once signed (a key rotation re-seals through a queryset update).
    LOCKED_FIELDS = (
        "session_id",
        "client_id",
        "counselor_id",
        "structure",
        "content_sealed",
        "state",
        "signed_at",
        "cosign_required",
    )

    class Meta:
        ordering = ["-session__starts_at"]
        indexes = [models.Index(fields=["counselor", "state"])]

    def __str__(self) -> str:
        return f"progress note {self.pk} of session {self.session_id} ({self.state})"

    @property
    def content_aad(self) -> str:
        return f"progress-note:{self.session_id}"

    @property
    def is_signed(self) -> bool:
        return self.state == NoteState.SIGNED

    @property
    def is_complete(self) -> bool:
        return self.is_signed and (not self.cosign_required or self.cosigned_at is not None)

    def save(self, *args, **kwargs):
        if self.pk is not None:
            stored = type(self)._base_manager.filter(pk=self.pk).values(*self.LOCKED_FIELDS).first()
            if stored is not None and stored["state"] == NoteState.SIGNED:
                for name in self.LOCKED_FIELDS:
                    value = getattr(self, name)
                    before = stored[name]
                    if isinstance(value, memoryview):
                        value = bytes(value)
                    if isinstance(before, memoryview):
                        before = bytes(before)
                    if value != before:
                        raise NoteLocked(f"progress note {self.pk} is signed: {name} cannot change")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.is_signed:
            raise NoteLocked(f"progress note {self.pk} is signed: it is kept until retention destroys the record")
        return super().delete(*args, **kwargs)


class NoteAddendum(models.Model):
    """A later change to a signed note, with its time and author; itself never changed."""

    note = models.ForeignKey(ProgressNote, on_delete=models.CASCADE, related_name="addenda")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=now)
    text_sealed = models.BinaryField()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"addendum {self.pk} to note {self.note_id}"

    @property
    def text_aad(self) -> str:
        return f"progress-note-addendum:{self.note_id}:{self.created_at.isoformat()}"

    def save(self, *args, **kwargs):
        if self.pk is not None and type(self)._base_manager.filter(pk=self.pk).exists():
            raise NoteLocked("an addendum is never changed; write another one")
        super().save(*args, **kwargs)


class NoteReminder(models.Model):
    """The one reminder sent for an overdue note of a session: the row is the claim, so it is never sent twice."""

    session = models.OneToOneField(
        "counseling_sessions.CounselingSession", on_delete=models.CASCADE, related_name="note_reminder"
    )
    counselor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(default=now)

    def __str__(self) -> str:
        return f"note reminder for session {self.session_id}"


class Supervision(models.Model):
    """A counselor's supervisor (another counselor) and whether they are in training. Set by admins, audited."""

    supervisee = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="supervision")
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="supervisees"
    )
    in_training = models.BooleanField(_("in training"), default=False)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~models.Q(supervisor=models.F("supervisee")), name="supervision_not_self"),
        ]

    def __str__(self) -> str:
        return f"supervision of {self.supervisee_id} by {self.supervisor_id}"


class RecordRequestState(models.TextChoices):
    PENDING = "pending", _("Waiting for your counselor")
    ANSWERED = "answered", _("Answered")


class RecordRequest(models.Model):
    """A client's request to see their record held by one counselor (ACA B.6.e, APA 2007 guideline 10)."""

    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="record_requests")
    counselor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="record_requests_received"
    )
    state = models.CharField(max_length=12, choices=RecordRequestState.choices, default=RecordRequestState.PENDING)
    created_at = models.DateTimeField(default=now)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "counselor"], condition=models.Q(state="pending"), name="record_request_one_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"record request {self.pk} ({self.state})"


class NoteRelease(models.Model):
    """One note's answer within a record request: released, or withheld with the reason recorded (sealed)."""

    request = models.ForeignKey(RecordRequest, on_delete=models.CASCADE, related_name="releases")
    note = models.ForeignKey(ProgressNote, on_delete=models.CASCADE, related_name="releases")
    released = models.BooleanField()
    withheld_reason_sealed = models.BinaryField(null=True, blank=True)
    decided_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["note__session__starts_at"]
        constraints = [models.UniqueConstraint(fields=["request", "note"], name="note_release_once_per_request")]

    def __str__(self) -> str:
        return f"note {self.note_id} {'released' if self.released else 'withheld'} in request {self.request_id}"

    @property
    def reason_aad(self) -> str:
        return f"note-withheld-reason:{self.request_id}:{self.note_id}"
