from django.apps import AppConfig


class CounselingConfig(AppConfig):
    name = "counseling"
    verbose_name = "Counseling core"

    def ready(self) -> None:
        from counseling import checks  # noqa: F401  (registers system checks)
        from counseling.escalation import connect_receivers

        connect_receivers()  # escalation listens to the chat's signals (sessions.signals)
