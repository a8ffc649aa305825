from django.apps import AppConfig


class CounselingConfig(AppConfig):
    name = "counseling"
    verbose_name = "Counseling core"

    def ready(self) -> None:
        # Django's one place to register: system checks here; each app connects its own receivers
        # and hooks in its own ready().
        from counseling import checks, receivers  # noqa: F401

        receivers.connect()
