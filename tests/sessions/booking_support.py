"""Shared set-up of the booking tests: gates opened, working hours, a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, time

from counseling.gates import GateResult
from sessions.models import ClientAcceptance, WeeklyAvailability

# A Monday well ahead, so tests never depend on today's date.
MONDAY = datetime(2027, 2, 1, 0, 0, tzinfo=UTC)


def open_gates(monkeypatch, *, place=("ID", "ID-JK")) -> None:
    """Consent, identity and licensing are other features' gates: open them where booking imports them."""
    for name in ("consent_gate", "identity_gate", "jurisdiction_gate"):
        monkeypatch.setattr(f"sessions.selectors.{name}", lambda **kw: GateResult.ok())
    monkeypatch.setattr("sessions.selectors.intake_place", lambda **kw: place)


def work_every_day(counselor, start=time(9, 0), end=time(17, 0)) -> None:
    for weekday in range(7):
        WeeklyAvailability.objects.create(counselor=counselor, weekday=weekday, start_time=start, end_time=end)


def set_zone(user, zone: str) -> None:
    profile = getattr(user, "client_profile", None) or user.counselor_profile
    profile.time_zone = zone
    profile.save(update_fields=["time_zone"])


def run_tasks_eagerly(monkeypatch) -> None:
    """With REDIS_URL set, Celery sends tasks to the broker; these tests run them in-process instead."""
    from counseling.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)
    monkeypatch.setitem(app.conf, "task_eager_propagates", True)


def taken_on(client, counselor) -> None:
    """The counselor accepted this client earlier (a first request answered): their bookings are ordinary ones."""
    ClientAcceptance.objects.get_or_create(client=client, counselor=counselor)
