"""Intake, ID documents, the code word, the emergency plan and the emergency numbers of each place."""

from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "identity"
    verbose_name = "Intake and identity"

    def ready(self) -> None:
        # Django's place to register: the retention engine learns a minor's birth date from here.
        from identity.selectors import minor_birth_date
        from records.registry import RecordSource, record_source_register

        record_source_register(RecordSource(name="identity", birth_date=minor_birth_date))
