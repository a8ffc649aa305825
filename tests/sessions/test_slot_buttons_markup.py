"""The booking page's slot buttons, made by a template tag (sessions/templatetags/booking_tags.py slot_buttons),
print exactly what the template's loop printed before: the loop is kept here as the reference."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

SLOTS_LOOP = """{% load i18n tz %}{% localtime off %}<ul class="slot-list">
  {% for slot in slots %}
    <li>
        <button type="submit" name="starts_at" value="{{ slot.iso }}" class="secondary slot">
          {{ slot.mine|date:"H:i" }}–{{ slot.mine_end|date:"H:i" }}{% if not same_zone %} <span class="zone">({% translate "counselor" %}: {{ slot.theirs|date:"D H:i" }})</span>{% endif %}
        </button>
    </li>
  {% endfor %}
  </ul>{% endlocaltime %}"""  # noqa: E501, RUF001

SLOTS_TAG = """{% load booking_tags tz %}{% localtime off %}<ul class="slot-list">
  {% slot_buttons slots same_zone %}
  </ul>{% endlocaltime %}"""

AT = datetime(2026, 12, 31, 20, 30, tzinfo=UTC)


def _slots(client_zone: str, counselor_zone: str):
    mine, theirs = ZoneInfo(client_zone), ZoneInfo(counselor_zone)
    slots = []
    for i in range(9):
        starts = AT + timedelta(hours=7 * i, minutes=15 * (i % 3))
        ends = starts + timedelta(minutes=50)
        slots.append(
            {
                "iso": starts.isoformat(),
                "mine": starts.astimezone(mine),
                "mine_end": ends.astimezone(mine),
                "theirs": starts.astimezone(theirs),
            }
        )
    return slots


@pytest.mark.parametrize("language", ["en", "id"])
@pytest.mark.parametrize(
    ("client_zone", "counselor_zone"), [("Asia/Jakarta", "Asia/Jakarta"), ("Asia/Jakarta", "America/Los_Angeles")]
)
@pytest.mark.parametrize("active_zone", ["UTC", "Asia/Tokyo"])
def test_the_slot_buttons_tag_prints_what_the_template_loop_printed(language, client_zone, counselor_zone, active_zone):
    context = {"slots": _slots(client_zone, counselor_zone), "same_zone": client_zone == counselor_zone}
    with translation.override(language), timezone.override(active_zone):
        expected = Template(SLOTS_LOOP).render(Context(context))
        made = Template(SLOTS_TAG).render(Context(context))
    assert made == expected
    assert made.count("<li>") == 9
    assert ('class="zone"' in made) is (client_zone != counselor_zone)


def test_no_slots_print_nothing():
    context = {"slots": [], "same_zone": False}
    assert Template(SLOTS_TAG).render(Context(context)) == Template(SLOTS_LOOP).render(Context(context))
