"""`date_label`: Django's `date` filter for the long lists of a page (the caseload's rows, the notes to sign).

Formatting a date costs ~50 µs (a DateFormat, translated day and month names); a page of 50 rows with two dates
each spent a third of its template time there. The day's part of a format ("D j M", "j M Y") depends only on
the local day and the active language, so it is formatted once per day and language and kept; the time's part
", H:i" (or " H:i") is the local hour and minute. Any other format is left to Django's `date` filter, so the output
is the same as `|date:"..."` in every case (tests/counseling/test_date_labels.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils import dateformat, translation
from django.utils.timezone import get_current_timezone, localtime
from django.utils.translation import get_language

register = template.Library()

_TIMES = (", H:i", " H:i")
# Format characters that depend on the day only (Django's date format, without escapes).
_DAY_CHARS = set("dDjlNwzWmMnybYELF")


def _day_only(fmt: str) -> bool:
    return "\\" not in fmt and all(char in _DAY_CHARS or not char.isalpha() for char in fmt)


@lru_cache(maxsize=4096)
def _day_label(day: date, fmt: str, language: str | None) -> str:
    # The day and month names in `language`: the one active now for date_label, the one a date_label_for_each was
    # made in for its labels (which may be used where another is active).
    if language == get_language():
        return dateformat.format(day, fmt)
    with translation.override(language):
        return dateformat.format(day, fmt)


@register.filter(expects_localtime=True, is_safe=False)
def date_label(value, arg: str):
    """`value|date:arg` (in the current time zone, like `date`), faster for day formats and day + ", H:i" or " H:i"."""
    if not isinstance(value, datetime):
        return date_filter(value, arg)
    for time_part in _TIMES:
        if arg.endswith(time_part) and _day_only(arg[: -len(time_part)]):
            day = _day_label(value.date(), arg[: -len(time_part)], get_language())
            return f"{day}{time_part[:-3]}{value:%H:%M}"
    if _day_only(arg):
        return _day_label(value.date(), arg, get_language())
    return date_filter(value, arg)


def date_label_for_each(fmt: str) -> Callable[[datetime], str]:
    """aware datetime -> `date_label(localtime(value), fmt)` for the many dates of one list (a page's rows), with the
    format split, and the active language and current time zone read, once: make one per list, where it is made
    (a language or time zone entered later is not seen)."""
    zone, language = get_current_timezone(), get_language()
    time_part = next((part for part in _TIMES if fmt.endswith(part) and _day_only(fmt[: -len(part)])), None)
    if time_part is not None:
        day_fmt, separator = fmt[: -len(time_part)], time_part[:-3]

        def label(value: datetime) -> str:
            local = localtime(value, zone)
            return f"{_day_label(local.date(), day_fmt, language)}{separator}{local:%H:%M}"

        return label
    if _day_only(fmt):
        return lambda value: _day_label(localtime(value, zone).date(), fmt, language)

    def label_in_language(value: datetime) -> str:
        with translation.override(language):
            return date_filter(localtime(value, zone), fmt)

    return label_in_language
