"""The counselor's clinical record: progress notes, treatment plans, outcome measures, supervision and
the client's access to their record (ACA A.1.b, the record the retention rules keep and destroy)."""

from django.apps import AppConfig


class ClinicalConfig(AppConfig):
    name = "clinical"
    verbose_name = "Clinical record"

    def ready(self) -> None:
        # Django's place to register with records (imported here, once the models are loaded).
        from clinical import receivers_plans_measures

        receivers_plans_measures.connect()
        from clinical import receivers_notes, tasks_notes  # noqa: F401 (the reminders' task registers itself)

        receivers_notes.connect()
