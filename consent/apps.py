from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = "Informed consent"

    def ready(self) -> None:
        # Django's place to register system checks (the consent's promise about backups, consent.checks) and
        # receivers (consent.receivers): imported here, once the models are loaded.
        from consent import checks, receivers  # noqa: F401  (checks registers by being imported)

        receivers.connect()
