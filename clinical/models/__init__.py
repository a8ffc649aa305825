"""One module per part of the record; each is imported here so Django finds its models."""

from clinical.models.notes import NoteAddendum, NoteRelease, NoteReminder, ProgressNote, RecordRequest, Supervision  # noqa: F401
