from django.apps import AppConfig


class LicensingConfig(AppConfig):
    name = "licensing"
    verbose_name = "Licences and jurisdictions"

    def ready(self) -> None:
        # Django's place to register (licensing.receivers): imported here, once the models are loaded.
        from licensing import receivers

        receivers.connect()
