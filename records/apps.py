"""Retention rules, legal holds, tombstones, erasure requests, exports."""

from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "records"
    verbose_name = "Records and retention"
