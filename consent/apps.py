from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = "Informed consent"

    def ready(self) -> None:
        # Django's place to register system checks: the consent's promise about backups (consent.checks).
        from consent import checks  # noqa: F401
