"""`date_label`: Django's `date` filter for the long lists of a page (the caseload's rows, the notes to sign).

Formatting a date costs ~50 µs (a DateFormat, translated day and month names); a page of 50 rows with two dates
each spent a third of its template time there. The day's part of a format ("D j M", "j M Y") depends only on
the local day and the active language, so it is formatted once per day and language and kept; the time's part
", H:i" (or " H:i") is the local hour and minute. Any other format is left to Django's `date` filter, so the output
is the same as `|date:"..."` in every case (tests/counseling/test_date_labels.py).
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils import dateformat
from django.utils.translation import get_language

register = template.Library()

_TIMES = (", H:i", " H:i")
# Format characters that depend on the day only (Django's date format, without escapes).
_DAY_CHARS = set("dDjlNwzWmMnybYELF")


def _day_only(fmt: str) -> bool:
    return "\\" not in fmt and all(char in _DAY_CHARS or not char.isalpha() for char in fmt)


@lru_cache(maxsize=4096)
def _day_label(day: date, fmt: str, language: str | None) -> str:
    # `language` keys the cache only: the names are translated in the language active now, which it is.
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
