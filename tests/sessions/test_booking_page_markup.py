"""The booking page's lists, made by template tags (sessions/templatetags/booking_tags.py), print exactly what the
template's loops printed before: the loops are kept here as the reference."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from sessions.forms import MediumForm

DAYS_LOOP = """{% load i18n tz %}{% localtime off %}<form>
{% for day, slots in days.items %}
<section class="slot-day">
  <h2>{{ day|date:"l j F Y" }}</h2>
  <ul class="slot-list">
  {% for slot in slots %}
    <li>
        <button type="submit" name="starts_at" value="{{ slot.iso }}" class="secondary slot">
          {{ slot.mine|date:"H:i" }}–{{ slot.mine_end|date:"H:i" }}{% if not same_zone %} <span class="zone">({% translate "counselor" %}: {{ slot.theirs|date:"D H:i" }})</span>{% endif %}
        </button>
    </li>
  {% endfor %}
  </ul>
</section>
{% empty %}
<p>{% translate "No free times in the next weeks. Please try another counselor or come back later." %}</p>
{% endfor %}
</form>{% endlocaltime %}"""  # noqa: E501, RUF001

DAYS_TAG = """{% load i18n tz booking_tags %}{% localtime off %}<form>
{% if days %}{% slot_days days same_zone %}{% else %}
<p>{% translate "No free times in the next weeks. Please try another counselor or come back later." %}</p>
{% endif %}
</form>{% endlocaltime %}"""

WEEKS_LOOP = """{% load i18n %}<select id="weeks" name="weeks">{% for n in week_choices %}<option value="{{ n }}"{% if n == weeks %} selected{% endif %}>{% if n == 1 %}{% translate "One session" %}{% else %}{% blocktranslate %}Every week, {{ n }} times{% endblocktranslate %}{% endif %}</option>{% endfor %}</select>"""  # noqa: E501

WEEKS_TAG = """{% load booking_tags %}<select id="weeks" name="weeks">{% week_options week_choices weeks %}</select>"""

AT = datetime(2026, 12, 31, 20, 30, tzinfo=UTC)


def _days(client_zone: str, counselor_zone: str, count: int = 9) -> dict:
    """Slots 7 hours and some minutes apart (every day of the week and both sides of midnight), grouped by the
    client's date as the booking_slots view groups them."""
    mine, theirs = ZoneInfo(client_zone), ZoneInfo(counselor_zone)
    days: dict = {}
    for i in range(count):
        starts = AT + timedelta(hours=7 * i, minutes=15 * (i % 3))
        ends = starts + timedelta(minutes=50)
        local = starts.astimezone(mine)
        days.setdefault(local.date(), []).append(
            {
                "iso": starts.isoformat(),
                "mine": local,
                "mine_end": ends.astimezone(mine),
                "theirs": starts.astimezone(theirs),
            }
        )
    return days


@pytest.mark.parametrize("language", ["en", "id"])
@pytest.mark.parametrize(
    ("client_zone", "counselor_zone"), [("Asia/Jakarta", "Asia/Jakarta"), ("Asia/Jakarta", "America/Los_Angeles")]
)
@pytest.mark.parametrize("active_zone", ["UTC", "Asia/Tokyo"])
def test_the_slot_days_tag_prints_what_the_template_loop_printed(language, client_zone, counselor_zone, active_zone):
    days = _days(client_zone, counselor_zone, count=30)
    context = {"days": days, "same_zone": client_zone == counselor_zone}
    with translation.override(language), timezone.override(active_zone):
        expected = Template(DAYS_LOOP).render(Context(context))
        made = Template(DAYS_TAG).render(Context(context))
    assert made == expected
    assert made.count("<li>") == 30
    assert made.count("<h2>") == len(days) >= 7  # every day of the week
    assert ('class="zone"' in made) is (client_zone != counselor_zone)
    assert ("(konselor: " in made) is (language == "id" and client_zone != counselor_zone)


@pytest.mark.parametrize("language", ["en", "id"])
def test_each_day_is_named_as_the_date_filter_names_it(language):
    """Every day of the week and every month, and a year of fewer than four digits."""
    first = date(2027, 1, 1)
    days = {first + timedelta(days=n): [] for n in range(0, 366, 5)} | {date(987, 6, 5): []}
    context = {"days": days, "same_zone": True}
    with translation.override(language):
        assert Template(DAYS_TAG).render(Context(context)) == Template(DAYS_LOOP).render(Context(context))


def test_no_days_print_the_template_text():
    context = {"days": {}, "same_zone": False}
    made = Template(DAYS_TAG).render(Context(context))
    assert made == Template(DAYS_LOOP).render(Context(context))
    assert "No free times" in made


@pytest.mark.parametrize("language", ["en", "id"])
@pytest.mark.parametrize("weeks", [1, 2, 5, 12, 0, 13])
def test_the_week_options_tag_prints_what_the_template_loop_printed(language, weeks):
    context = {"week_choices": range(1, 13), "weeks": weeks}
    with translation.override(language):
        expected = Template(WEEKS_LOOP).render(Context(context))
        made = Template(WEEKS_TAG).render(Context(context))
    assert made == expected
    assert made.count(" selected") == (1 if 1 <= weeks <= 12 else 0)
    assert ("Setiap minggu, 12 kali" in made) is (language == "id")


MEDIUM_LOOP = """{% for choice in medium_form.medium %}<div>{{ choice.tag }} <label for="{{ choice.id_for_label }}">{{ choice.choice_label }}</label></div>{% endfor %}"""  # noqa: E501

MEDIUM_TAG = """{% load booking_tags %}{% radio_choices medium_form.medium %}"""


@pytest.mark.parametrize("language", ["en", "id"])
@pytest.mark.parametrize("data", [None, {"medium": "video"}, {"medium": "chat"}, {"medium": "fax"}, {}])
def test_the_radio_choices_tag_prints_what_the_template_loop_printed(language, data):
    """Unbound (chat checked at first), bound to each way, and bound to a wrong one or none (aria-invalid)."""
    with translation.override(language):
        expected = Template(MEDIUM_LOOP).render(Context({"medium_form": MediumForm(data)}))
        made = Template(MEDIUM_TAG).render(Context({"medium_form": MediumForm(data)}))
    assert made == expected
    assert made.count('type="radio"') == 3
    assert made.count(" checked") == (0 if data is not None and data.get("medium") not in ("video", "chat") else 1)
    assert ("Obrolan" in made) is (language == "id")
