"""`date_label` prints exactly what Django's `date` filter prints, in every language and time zone."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.template import Context, Template
from django.utils import translation

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
