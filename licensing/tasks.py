"""Periodic jobs of the licensing app. Thin: they call a service, which is safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.utils.dateparse import parse_datetime

from counseling.clock import now
from licensing.services import licences_expiry_sweep


@shared_task(name="licensing.tasks.licence_expiry_sweep")
def licence_expiry_sweep_task(at: str | None = None) -> dict:
    """Daily: warn 60 and 14 days before expiry, expire lapsed licences, tell their clients.

    `at` (ISO 8601, aware) lets an operator re-run a missed day; by default the clock's now.
    """
    moment = parse_datetime(at) if at else now()
    if moment is None or moment.tzinfo is None:
        raise ValueError("at must be an aware ISO 8601 datetime")
    report = licences_expiry_sweep(at=moment)
    return {
        "expired": report.expired,
        "warned_60": report.warned_60,
        "warned_14": report.warned_14,
        "clients_notified": report.clients_notified,
    }
