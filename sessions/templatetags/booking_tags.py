"""The booking page's lists, made in Python.

templates/sessions/booking_slots.html lists up to a few weeks of slots, a day each under its date, a choice of one
to SESSION_SERIES_MAX_WEEKS weekly sessions and one of three ways to meet. In the template language each slot button
cost a loop step, two or three `date` filters and an {% if %}, each day's heading a `date` filter, each choice of
weeks a loop step, two {% if %} and a {% blocktranslate %}, and each way to meet two templates of Django's widgets.
These tags make the same markup, escaped the same way, with the words ("counselor", the names of days and months)
translated once per page or day (tests/sessions/test_booking_page_markup.py keeps the template's loops as the
reference).
"""

from django import template
from django.utils.dates import MONTHS, WEEKDAYS, WEEKDAYS_ABBR
from django.utils.html import conditional_escape as escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

register = template.Library()

_DAY = '\n<section class="slot-day">\n  <h2>{}</h2>\n  <ul class="slot-list">\n  {}\n  </ul>\n</section>\n'
_BUTTON = (
    "\n    <li>\n"
    '        <button type="submit" name="starts_at" value="{}" class="secondary slot">\n'
    "          {}\u2013{}{}\n"  # an en dash
    "        </button>\n"
    "    </li>\n  "
)


@register.simple_tag
def slot_days(days: dict, same_zone: bool):
    """A <section> for each day of the booking_slots view's "days" (a local date: its slots), each slot a button
    with its time in the client's zone and, when the zones differ, the counselor's beside it, as the page's
    {% localtime off %} prints them."""
    counselor = escape(_("counselor"))
    sections = []
    for day, slots in days.items():
        buttons = "".join(
            _BUTTON.format(
                escape(slot["iso"]),
                _hour_minute(slot["mine"]),
                _hour_minute(slot["mine_end"]),
                ""
                if same_zone
                else f' <span class="zone">({counselor}: {escape(WEEKDAYS_ABBR[slot["theirs"].weekday()])} '
                f"{_hour_minute(slot['theirs'])})</span>",
            )
            for slot in slots
        )
        sections.append(_DAY.format(escape(_long_date(day)), buttons))
    return mark_safe("".join(sections))  # noqa: S308 (every value above is escaped)


@register.simple_tag
def week_options(week_choices, weeks: int):
    """The <option> of each number of weekly sessions, `weeks` selected."""
    options = []
    for n in week_choices:
        label = _("One session") if n == 1 else _("Every week, %(n)s times") % {"n": n}
        options.append(f'<option value="{n}"{" selected" if n == weeks else ""}>{label}</option>')
    # Numbers, and translations as {% translate %} and {% blocktranslate %} print them (not escaped).
    return mark_safe("".join(options))  # noqa: S308


@register.simple_tag
def radio_choices(field):
    """Each choice of a radio field as `<div>{{ choice.tag }} <label for="{{ choice.id_for_label }}">{{
    choice.choice_label }}</label></div>` prints it, without rendering Django's widgets/input.html and attrs.html
    for each choice."""
    return mark_safe("".join(_radio_choice(choice) for choice in field))  # noqa: S308 (every value is escaped)


def _radio_choice(choice) -> str:
    widget = choice.data
    value = "" if widget["value"] is None else f' value="{escape(widget["value"])}"'
    attributes = "".join(  # attrs.html: ` name="value"`, or ` name` alone for True, and nothing for False
        f" {escape(name)}" if setting is True else f' {escape(name)}="{escape(setting)}"'
        for name, setting in widget["attrs"].items()
        if setting is not False
    )
    return (
        f'<div><input type="{escape(widget["type"])}" name="{escape(widget["name"])}"{value}{attributes}>'
        f' <label for="{escape(choice.id_for_label)}">{escape(choice.choice_label)}</label></div>'
    )


def _hour_minute(moment) -> str:
    """date_format(moment, "H:i"): the hour (00-23) and minute, both of two digits, the same in every language."""
    return f"{moment.hour:02d}:{moment.minute:02d}"


def _long_date(day) -> str:
    """date_format(day, "l j F Y"): the day of the week and the month by name in the active language."""
    return f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month]} {day.year:04d}"
