"""Intake, ID documents, the code word, the emergency plan and the emergency numbers of each place."""

from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "identity"
    verbose_name = "Intake and identity"

    def ready(self) -> None:
        # Django's place to register (identity.receivers): imported here, once the models are loaded.
        from identity import receivers

        receivers.connect()
