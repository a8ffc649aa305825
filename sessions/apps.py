from django.apps import AppConfig


class CounselingSessionsConfig(AppConfig):
    name = "sessions"
    # django.contrib.sessions owns the label "sessions".
    label = "counseling_sessions"
    verbose_name = "Counseling sessions and chat"
