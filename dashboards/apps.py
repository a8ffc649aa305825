"""Pages that combine domains (the client's home, the caseload, the staff dashboard) and the demo seed."""

from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "dashboards"
    verbose_name = "Dashboards"
