"""`date_label` prints exactly what Django's `date` filter prints, in every language and time zone."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from counseling.templatetags import date_labels
from counseling.templatetags.date_labels import date_label_for_each

FORMATS = [
    "D j M, H:i",
    "D j M H:i",
    "j M Y",
    "j M, H:i",
    "D j M Y, H:i",
    "l j F Y",
    "H:i",
    " H:i",
    "c",
    r"j \d\e M",
    "N j, Y, P",
]
ZONES = ["UTC", "Asia/Jakarta", "America/Los_Angeles", "Asia/Kolkata"]


def _render(source: str, value, zone: str) -> str:
    template = Template("{% load tz date_labels %}{% timezone zone %}" + source + "{% endtimezone %}")
    return template.render(Context({"value": value, "zone": zone}))


@pytest.mark.parametrize("language", ["en", "id"])
@pytest.mark.parametrize("zone", ZONES)
def test_date_label_is_the_date_filter(language, zone):
    start = datetime(2026, 12, 31, 16, 5, tzinfo=UTC)  # a new year in the east, the old one in the west
    values = [start + timedelta(hours=7 * i, minutes=13 * i) for i in range(60)]
    with translation.override(language):
        for fmt in FORMATS:
            for value in values:
                expected = _render('{{ value|date:"' + fmt + '" }}', value, zone)
                assert _render('{{ value|date_label:"' + fmt + '" }}', value, zone) == expected, (fmt, value)


def test_date_label_passes_what_is_not_a_datetime_to_the_date_filter():
    assert _render('{{ value|date_label:"j M Y" }}', date(2026, 3, 1), "UTC") == "1 Mar 2026"
    assert _render('{{ value|date_label:"j M Y" }}', None, "UTC") == ""
    assert _render('{{ value|date_label:"j M Y" }}', "", "UTC") == ""


@pytest.mark.parametrize("language", ["en", "id"])
@pytest.mark.parametrize("zone", ZONES)
def test_date_label_for_each_is_the_date_filter_in_the_language_and_zone_it_was_made_in(language, zone):
    start = datetime(2026, 12, 31, 16, 5, tzinfo=UTC)
    values = [start + timedelta(hours=7 * i, minutes=13 * i) for i in range(60)]
    date_labels._day_label.cache_clear()  # each day's names made here, not found made by an earlier test
    with translation.override(language), timezone.override(zone):
        labels = {fmt: date_label_for_each(fmt) for fmt in FORMATS}
    other_language = "en" if language == "id" else "id"
    # Used elsewhere (another language and zone active): still the language and zone it was made in.
    with translation.override(other_language), timezone.override("Pacific/Kiritimati"):
        made = {fmt: [labels[fmt](value) for value in values] for fmt in FORMATS}
    with translation.override(language):
        for fmt in FORMATS:
            expected = [_render('{{ value|date:"' + fmt + '" }}', value, zone) for value in values]
            assert made[fmt] == expected, fmt
    # And one made in the other language and zone prints theirs, not what the first one kept.
    with translation.override(other_language), timezone.override("America/Los_Angeles"):
        label = date_label_for_each("D j M, H:i")
        expected = _render('{{ value|date:"D j M, H:i" }}', start, "America/Los_Angeles")
    assert label(start) == expected
