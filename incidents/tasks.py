"""Periodic job of breach response. Thin: it calls the service, which is safe to run twice."""

from __future__ import annotations

from celery import shared_task

from incidents.services import incident_clock_reminders


@shared_task(name="incidents.tasks.incident_clocks_remind")
def incident_clocks_remind() -> int:
    """Every minute: remind admins of running breach clocks at each mark, once per mark."""
    return incident_clock_reminders()
