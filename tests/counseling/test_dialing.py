"""Every crisis number dials exactly what its label says, on every page, built by one function."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from identity.dialing import dial_label, dial_link, dial_uri
from identity.models import EmergencyResource
from identity.numbers import emergency_numbers

ROOT = Path(__file__).resolve().parents[2]
SEEDED = [
    ("ID", "112", ""),
    ("ID", "110", ""),
    ("ID", "119", ""),
    ("ID", "113", ""),
    ("ID", "119", "8"),
    ("ID", "129", ""),
    ("ID", "08001500119", ""),
    ("US", "911", ""),
    ("US", "988", ""),
    ("US", "741741", ""),
]


def _what_the_label_dials(label: str, channel: str) -> str:
    """Read a label as a person would: "119, then press 8" is 119, a pause, then 8."""
    with_menu = re.fullmatch(r"([+\d][\d -]*), (?:then press|lalu tekan) (\d+)", label)
    if with_menu:
        digits = re.sub(r"[^\d+]", "", with_menu[1])
        return f"tel:{digits},{with_menu[2]}"
    if channel == "text":
        return "sms:" + re.sub(r"[^\d]", "", label)
    return "tel:" + re.sub(r"[^\d+]", "", label)


@pytest.mark.django_db
@pytest.mark.parametrize(("country", "number", "extension"), SEEDED)
@pytest.mark.parametrize("language", ["en", "id"])
def test_each_seeded_numbers_link_dials_what_its_label_says(country, number, extension, language):
    resource = EmergencyResource.objects.get(country=country, number=number, extension=extension)
    with translation.override(language):
        html = render_to_string("identity/_emergency_numbers.html", {"emergency_numbers": [resource]})
    href, label = re.search(r'href="([^"]+)"><strong>([^<]+)</strong>', html).groups()
    assert href == _what_the_label_dials(label, resource.channel)
    assert number in label


def test_a_menu_digit_is_dialled_after_a_pause_never_glued_to_the_number():
    assert dial_uri(number="119", extension="8") == "tel:119,8"
    assert dial_uri(number="+62 21 500 454") == "tel:+6221500454"
    assert dial_uri(number="") == ""
    with translation.override("en"):
        assert dial_label(number="119", extension="8") == "119, then press 8"
        assert str(dial_link(number="119", extension="8")) == '<a class="phone" href="tel:119,8">119, then press 8</a>'
    with translation.override("id"):
        assert dial_label(number="119", extension="8") == "119, lalu tekan 8"


@pytest.mark.django_db
def test_the_numbers_sent_to_open_pages_carry_the_same_link():
    with translation.override("id"):
        numbers = emergency_numbers(country="ID", region="")
    healing = next(item for item in numbers if "Healing119" in item["label"])
    assert healing["tel"] == "tel:119,8" and healing["number"] == "119, lalu tekan 8"
    assert numbers[0]["tel"] != "tel:119,8"  # never first
    unknown = emergency_numbers(country="", region="")
    assert [item["tel"] for item in unknown] == [item["tel"] for item in emergency_numbers(country="ID")]


@pytest.mark.django_db
def test_the_help_page_dials_119_then_8_not_1198(client, client_a):
    client.force_login(client_a)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"
    client.post("/help/")
    page = client.get("/help/sent/").content.decode()
    assert 'href="tel:119,8"' in page and "119, lalu tekan 8" in page
    assert "tel:1198" not in page and "ext." not in page and "ekst" not in page


def test_no_template_or_script_builds_a_tel_link_by_itself():
    builders = []
    for path in [*ROOT.glob("templates/**/*.html"), *ROOT.glob("templates/**/*.txt"), *ROOT.glob("static/js/*.js")]:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("//")[0] if path.suffix == ".js" else line
            if "tel:" in code:
                builders.append(f"{path.relative_to(ROOT)}:{number}")
    assert builders == []
