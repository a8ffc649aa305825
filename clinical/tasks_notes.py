"""The progress notes' periodic job (CELERY_BEAT_SCHEDULE "progress-note-reminders")."""

from celery import shared_task

from clinical.notes import note_reminders_send


@shared_task(name="clinical.tasks_notes.progress_note_reminders_send")
def progress_note_reminders_send() -> int:
    return note_reminders_send()
