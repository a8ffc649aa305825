"""The one way to read a number or a moment from a request: strict, bounded, and never a server error.

`str.isdigit` accepts "²" and Arabic-Indic digits, which `int()` then refuses or reads as another number;
`fromisoformat` accepts year 1 and year 9999, whose arithmetic overflows. These helpers accept only what a
page of ours sends and refuse the rest as a bad request (400) or a form error, never a 500."""

from __future__ import annotations

from datetime import UTC, datetime

from django import forms
from django.core.exceptions import BadRequest, ValidationError
from django.utils.translation import gettext_lazy as _

# Far enough for every real moment of the platform, near enough that adding days or years never overflows.
EARLIEST_YEAR = 1900
LATEST_YEAR = 2200
MAX_ID_DIGITS = 18  # a bigint id has at most 19 digits; 18 stays inside every database's integer


def is_plain_integer(value: str) -> bool:
    """ASCII digits 0-9 only (no sign, no "²", no Arabic-Indic digits), at most MAX_ID_DIGITS of them."""
    return bool(value) and value.isascii() and value.isdecimal() and len(value) <= MAX_ID_DIGITS


def int_param(params, name: str) -> int | None:
    """The whole number in request.GET / request.POST `params[name]`: None when absent or empty, BadRequest
    (a 400 page) when present but not a plain ASCII number."""
    value = params.get(name, "")
    if value == "":
        return None
    if not isinstance(value, str) or not is_plain_integer(value):
        raise BadRequest(f"{name} must be a whole number")
    return int(value)


def instant_parse(value: str) -> datetime | None:
    """An ISO 8601 moment with its offset, in UTC; None when it is not one, has no offset, or lies outside
    EARLIEST_YEAR..LATEST_YEAR (where converting or adding to it could overflow)."""
    try:
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            return None
        parsed = parsed.astimezone(UTC)
    except (ValueError, OverflowError, TypeError):
        return None
    if not EARLIEST_YEAR <= parsed.year <= LATEST_YEAR:
        return None
    return parsed


def _in_range(value, field) -> None:
    if value is not None and not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValidationError(
            field.error_messages["out_of_range"],
            code="out_of_range",
            params={"earliest": EARLIEST_YEAR, "latest": LATEST_YEAR},
        )


OUT_OF_RANGE = _("Enter a date between %(earliest)s and %(latest)s.")


class BoundedDateTimeField(forms.DateTimeField):
    """Django's DateTimeField, refusing years outside EARLIEST_YEAR..LATEST_YEAR as a form error: year 9999
    with a negative offset overflows when stored in UTC, and deadlines computed from it overflow too."""

    default_error_messages = {"out_of_range": OUT_OF_RANGE}

    def to_python(self, value):
        try:
            result = super().to_python(value)
        except OverflowError as error:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from error
        _in_range(result, self)
        return result


class BoundedDateField(forms.DateField):
    """Django's DateField with the same years as BoundedDateTimeField (a date plus days must not overflow)."""

    default_error_messages = {"out_of_range": OUT_OF_RANGE}

    def to_python(self, value):
        result = super().to_python(value)
        _in_range(result, self)
        return result
