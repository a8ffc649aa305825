"""The counselor's clinical record: progress notes, treatment plans, outcome measures, supervision and
the client's access to their record (ACA A.1.b, the record the retention rules keep and destroy)."""

from django.apps import AppConfig


class ClinicalConfig(AppConfig):
    name = "clinical"
    verbose_name = "Clinical record"

    def ready(self) -> None:
        from clinical import receivers_notes, tasks_notes  # noqa: F401 (the reminders' task registers itself)

        receivers_notes.connect()
