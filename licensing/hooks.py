"""What licensing asks of the apps above it, which it may not import (README: the layers): a counselor's next
free time, which sessions knows from the availability and the bookings, for the directory's filter. sessions
registers its answer in its receivers.connect()."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

NextFreeSlotFinder = Callable[..., datetime | None]  # (*, counselor, at, within_days) -> the start, or None

_finders: list[NextFreeSlotFinder] = []


def next_free_slot_finder_register(finder: NextFreeSlotFinder) -> None:
    if finder not in _finders:
        _finders.append(finder)


def next_free_slot(*, counselor, at: datetime, within_days: int) -> datetime | None:
    """The soonest free time of `counselor` within `within_days` of `at`, as the registered finders know it;
    None when there is none, or no app answers."""
    found = [start for finder in _finders if (start := finder(counselor=counselor, at=at, within_days=within_days))]
    return min(found) if found else None
