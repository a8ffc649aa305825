from django.apps import AppConfig


class CounselingConfig(AppConfig):
    name = "counseling"
    verbose_name = "Counseling core"

    def ready(self) -> None:
        from counseling import checks  # noqa: F401  (registers system checks)
