"""Risk phrases, escalations and the ladder, the on-call roster, the help button."""

from django.apps import AppConfig


class CrisisConfig(AppConfig):
    name = "crisis"
    verbose_name = "Crisis and escalation"

    def ready(self) -> None:
        # Django's place to connect receivers: crisis listens to the chat's signals and hooks.
        from crisis import receivers

        receivers.connect()
