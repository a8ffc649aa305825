from django.apps import AppConfig


class CounselingSessionsConfig(AppConfig):
    name = "sessions"
    # django.contrib.sessions owns the label "sessions".
    label = "counseling_sessions"
    verbose_name = "Counseling sessions and chat"

    def ready(self) -> None:
        # Django's place to connect receivers: sessions answers consent's and licensing's signals.
        from sessions import receivers

        receivers.connect()
