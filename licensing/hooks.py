"""What licensing asks of the apps above it, which it may not import (README: the layers): counselors' next
free times, which sessions knows from the availability and the bookings, for the directory's filter. sessions
registers its answer in its receivers.connect()."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

# (*, counselors, at, within_days) -> {counselor id: the start, or None}; one call for the whole directory
NextFreeSlotsFinder = Callable[..., dict[int, datetime | None]]

_finders: list[NextFreeSlotsFinder] = []


def next_free_slots_finder_register(finder: NextFreeSlotsFinder) -> None:
    if finder not in _finders:
        _finders.append(finder)


def next_free_slots(*, counselors, at: datetime, within_days: int) -> dict[int, datetime | None]:
    """{counselor id: the soonest free time within `within_days` of `at`}, as the registered finders know it;
    None when there is none, or no app answers."""
    answers = [finder(counselors=counselors, at=at, within_days=within_days) for finder in _finders]
    found = {}
    for counselor in counselors:
        starts = [start for answer in answers if (start := answer.get(counselor.pk))]
        found[counselor.pk] = min(starts) if starts else None
    return found
