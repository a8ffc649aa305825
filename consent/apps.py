from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = "Informed consent"

    def ready(self) -> None:
        # Django's place to register (consent.receivers): imported here, once the models are loaded.
        from consent import receivers

        receivers.connect()
