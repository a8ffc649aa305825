"""Personal-data breaches: the incident, the affected clients, the legal clocks and the notices."""

from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Data breach incidents"
