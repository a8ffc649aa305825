"""The booking page's slot buttons, made in Python.

templates/sessions/booking_slots.html lists up to a few weeks of slots; in the template language each button cost
a loop step, two or three `date` filters and an {% if %}. `slot_buttons` makes the same markup, escaped the same
way (format_html), with "counselor" translated once per page (tests/sessions/test_slot_buttons_markup.py).
"""

from django import template
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

register = template.Library()

_BUTTON = (
    "\n    <li>\n"
    '        <button type="submit" name="starts_at" value="{}" class="secondary slot">\n'
    "          {}\u2013{}{}\n"  # an en dash
    "        </button>\n"
    "    </li>\n  "
)


@register.simple_tag
def slot_buttons(slots: list[dict], same_zone: bool):
    """The <li> of each slot of one day (the booking_slots view's "days"), each time in its own time zone as the
    page's {% localtime off %} prints it: the client's, and the counselor's beside it when the zones differ."""
    counselor = _("counselor")
    return format_html_join(
        "",
        _BUTTON,
        (
            (
                slot["iso"],
                _hour_minute(slot["mine"]),
                _hour_minute(slot["mine_end"]),
                ""
                if same_zone
                else format_html(
                    ' <span class="zone">({}: {})</span>', counselor, date_format(slot["theirs"], "D H:i")
                ),
            )
            for slot in slots
        ),
    )


def _hour_minute(moment) -> str:
    """date_format(moment, "H:i"): the hour (00-23) and minute, both of two digits, the same in every language."""
    return f"{moment.hour:02d}:{moment.minute:02d}"
