"""Emergency numbers by place: several per place, region first, confirmed against a source before they
are shown, admin-editable with an audit trail, and stale ones listed on the staff dashboard."""

from datetime import date, timedelta

import pytest
from django.conf import settings
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from counseling import clock
from counseling.models import AuditEntry
from identity.models import EmergencyResource
from identity.numbers import emergency_numbers_for, emergency_numbers_to_check

pytestmark = pytest.mark.django_db


def _publish(**fields) -> EmergencyResource:
    return EmergencyResource.objects.create(
        checked_on=clock.now().date(), source_url="https://example.org/src", **fields
    )


def test_indonesia_lists_110_119_113_beside_112_and_healing119_never_first():
    numbers = emergency_numbers_for(country="id")
    dialled = [(r.number, r.extension) for r in numbers]
    for number in ("112", "110", "119", "113"):
        assert (number, "") in dialled
    healing = next(r for r in numbers if "Healing119" in r.name)
    assert (healing.number, healing.extension) == ("119", "8")
    assert numbers.index(healing) > max(dialled.index((n, "")) for n in ("112", "110", "119", "113"))
    general = next(r for r in numbers if r.number == "112")
    assert "not yet available everywhere" in general.description
    assert not [r for r in numbers if "SEJIWA" in r.name]


def test_every_seeded_number_carries_its_source_or_is_listed_for_an_admin():
    for resource in EmergencyResource.objects.filter(is_active=True):
        assert resource.checked_on is not None or resource.region == "ID-JK"
    sourced = EmergencyResource.objects.exclude(source_url="").values_list("number", flat=True)
    assert {"112", "119", "911", "988", "741741"} <= set(sourced)


def test_the_united_states_is_seeded_too():
    numbers = [r.number for r in emergency_numbers_for(country="US", region="US-TX")]
    assert "911" in numbers and "988" in numbers


def test_a_regions_own_numbers_come_first_then_the_countrys():
    _publish(country="ID", region="ID-YO", name="Yogyakarta crisis line", number="0274-500454", sort_order=999)
    numbers = emergency_numbers_for(country="ID", region="ID-YO")
    assert numbers[0].name == "Yogyakarta crisis line"
    assert "112" in [r.number for r in numbers[1:]]
    assert "Yogyakarta crisis line" not in [r.name for r in emergency_numbers_for(country="ID", region="ID-JT")]


def test_a_number_nobody_confirmed_is_not_shown_to_clients():
    assert "JakCare (Dinas Kesehatan DKI Jakarta)" in EmergencyResource.objects.values_list("name", flat=True)
    assert "JakCare" not in " ".join(r.name for r in emergency_numbers_for(country="ID", region="ID-JK"))


def test_inactive_numbers_are_not_shown_and_an_unknown_place_says_call_local():
    EmergencyResource.objects.filter(country="US", number="911").update(is_active=False)
    assert "911" not in [r.number for r in emergency_numbers_for(country="US")]
    with translation.override("en"):
        html = render_to_string(
            "identity/_emergency_numbers.html", {"emergency_numbers": emergency_numbers_for(country="FR")}
        )
    assert "local emergency number" in html


def test_the_partial_dials_the_menu_digit_after_a_pause_and_says_so():
    with translation.override("en"):
        html = render_to_string(
            "identity/_emergency_numbers.html", {"emergency_numbers": emergency_numbers_for(country="ID")}
        )
    assert 'href="tel:112"' in html and 'href="tel:119,8"' in html and "119, then press 8" in html
    assert "tel:1198" not in html and "ext." not in html
    with translation.override("id"):
        html = render_to_string(
            "identity/_emergency_numbers.html", {"emergency_numbers": emergency_numbers_for(country="ID")}
        )
    assert "119, lalu tekan 8" in html and "ext." not in html and "ekst" not in html


def test_a_text_line_gets_an_sms_link_not_a_call():
    html = render_to_string(
        "identity/_emergency_numbers.html", {"emergency_numbers": emergency_numbers_for(country="US")}
    )
    assert 'href="sms:741741"' in html and 'href="tel:741741"' not in html


def test_an_admin_adds_a_number_which_shows_only_once_confirmed_against_a_source(client, admin_user, staff_login):
    staff_login(client, admin_user)
    assert client.get("/admin/identity/emergencyresource/").status_code == 200
    form = {
        "country": "MY",
        "region": "",
        "name": "Befrienders KL",
        "number": "03-76272929",
        "extension": "",
        "channel": "call",
        "description": "",
        "hours": "24/7",
        "sort_order": 10,
        "is_active": "on",
        "source_url": "",
    }
    assert client.post("/admin/identity/emergencyresource/add/", form).status_code == 302
    assert emergency_numbers_for(country="MY") == []

    resource = EmergencyResource.objects.get(name="Befrienders KL")
    change = f"/admin/identity/emergencyresource/{resource.pk}/change/"
    refused = client.post(change, {**form, "confirmed": "on"})
    assert refused.status_code == 200 and "Name the official page" in refused.content.decode()
    assert emergency_numbers_for(country="MY") == []

    client.post(change, {**form, "confirmed": "on", "source_url": "https://www.befrienders.org.my/"})
    assert [r.name for r in emergency_numbers_for(country="MY")] == ["Befrienders KL"]
    resource.refresh_from_db()
    assert resource.checked_on == clock.now().date() and resource.checked_by == admin_user
    entry = AuditEntry.objects.filter(action="emergency_number.confirmed").last()
    assert entry.actor_id == admin_user.pk and entry.target_id == str(resource.pk)


def test_changing_what_is_dialled_without_confirming_takes_the_number_off_the_pages(client, admin_user, staff_login):
    staff_login(client, admin_user)
    resource = EmergencyResource.objects.get(country="ID", number="113")
    form = {
        "country": "ID",
        "region": "",
        "name": resource.name,
        "number": "1133",
        "extension": "",
        "channel": "call",
        "description": resource.description,
        "hours": resource.hours,
        "sort_order": resource.sort_order,
        "is_active": "on",
        "source_url": "https://example.org/",
    }
    client.post(f"/admin/identity/emergencyresource/{resource.pk}/change/", form)
    assert "1133" not in [r.number for r in emergency_numbers_for(country="ID")]
    assert AuditEntry.objects.filter(action="emergency_number.changed", target_id=str(resource.pk)).exists()


def test_the_staff_dashboard_lists_numbers_never_confirmed_unsourced_or_stale(client, admin_user, staff_login):
    stale = _publish(country="ID", region="ID-BA", name="Bali line", number="0361-000")
    EmergencyResource.objects.filter(pk=stale.pk).update(checked_on=date.today() - timedelta(days=181))
    fresh = _publish(country="ID", region="ID-BA", name="Fresh Bali line", number="0361-111")
    staff_login(client, admin_user)
    page = client.get(reverse("staff_home")).content.decode()
    assert "Emergency numbers to check" in page
    assert "Bali line" in page and "JakCare" in page and "never (not shown to clients)" in page
    assert "Polisi" in page and "none recorded" in page  # seeded without a source page
    assert fresh.name not in page
    assert f"/admin/identity/emergencyresource/{stale.pk}/change/" in page


def test_counselors_and_clients_cannot_edit_the_numbers(client, counselor_a, client_a, staff_login):
    staff_login(client, counselor_a)
    assert client.get("/admin/identity/emergencyresource/").status_code == 302
    client.force_login(client_a)
    assert client.get("/admin/identity/emergencyresource/").status_code == 302


def test_the_intake_overview_shows_the_numbers(client, client_a):
    client.force_login(client_a)
    page = client.get(reverse("intake:home")).content.decode()
    assert 'href="tel:110"' in page and "Healing119" in page and "SEJIWA" not in page


def test_the_transparency_page_shows_the_numbers_admins_keep(client):
    _publish(country="ID", name="Hotline added by an admin", number="0800-1-555-000")
    page = client.get(reverse("consent:transparency")).content.decode()
    assert "Hotline added by an admin" in page and 'href="tel:08001555000"' in page


def test_the_composed_statements_read_the_rows_and_order_the_orms_filters_give():
    """identity.numbers reads with statements composed once per process (counseling.statements): the same rows,
    fields and order as the ORM's filters they stand for, for every place and for the staff dashboard's list (kept
    here as the reference)."""
    today = clock.now().date()
    stale = today - timedelta(days=400)
    for i, (country, region, active, checked_on, source) in enumerate(
        [
            ("MY", "", True, today, "https://example.org/a"),
            ("MY", "", True, today, "https://example.org/b"),  # the same sort_order and name as the next: by name
            ("MY", "MY-14", True, stale, "https://example.org/c"),
            ("MY", "MY-14", True, None, "https://example.org/d"),
            ("MY", "MY-10", True, today, ""),
            ("MY", "", False, today, "https://example.org/e"),
            ("MY", "MY-14", True, today, "https://example.org/f"),
            ("SG", "", True, stale, ""),
            ("SG", "", True, None, ""),
        ]
    ):
        EmergencyResource.objects.create(
            country=country,
            region=region,
            is_active=active,
            checked_on=checked_on,
            source_url=source,
            name=f"Line {'ZYX'[i % 3]}{i}",
            number=f"1{i}",
            extension="8" if i % 2 else "",
            channel="text" if i == 6 else "call",
            sort_order=[100, 50, 50, 7, 100, 1, 100, 3, 3][i],
        )

    def fields(resources):
        return [
            (*(getattr(r, f.attname) for f in EmergencyResource._meta.concrete_fields), r.tel_uri, r.dial_label)
            for r in resources
        ]

    for country, region in [("MY", ""), ("MY", "MY-14"), ("my", " my-10 "), ("SG", ""), ("ID", "ID-JK"), ("ID", "")]:
        places = Q(country=country.strip().upper(), region="") | Q(
            country=country.strip().upper(), region=region.strip().upper()
        )
        orm = EmergencyResource.objects.filter(places, is_active=True, checked_on__isnull=False)
        expected = sorted(orm.order_by("sort_order", "name"), key=lambda resource: resource.region == "")
        assert fields(emergency_numbers_for(country=country, region=region)) == fields(expected), (country, region)
    assert len(emergency_numbers_for(country="MY", region="MY-14")) == 4

    def expected_to_check(day):
        stale_before = day - timedelta(days=settings.EMERGENCY_NUMBER_RECHECK_DAYS)
        return (
            EmergencyResource.objects.filter(is_active=True)
            .filter(Q(checked_on__isnull=True) | Q(checked_on__lt=stale_before) | Q(source_url=""))
            .order_by(F("checked_on").asc(nulls_first=True), "country", "region", "sort_order")
        )

    recheck = timedelta(days=settings.EMERGENCY_NUMBER_RECHECK_DAYS)
    # the date is the statement's parameter: a confirmation on the day itself is not stale, the day after it is
    for day in (stale + recheck, stale + recheck + timedelta(days=1), today + recheck + timedelta(days=1), stale):
        assert fields(emergency_numbers_to_check(today=day)) == fields(expected_to_check(day)), day
    assert len(emergency_numbers_to_check(today=stale + recheck)) < len(
        emergency_numbers_to_check(today=stale + recheck + timedelta(days=1))
    )
    to_check = emergency_numbers_to_check(today=today)
    assert fields(to_check) == fields(expected_to_check(today))
    names = {r.name for r in to_check}
    assert {"Line X2", "Line Z3", "Line Y4", "Line Y7", "Line X8"} <= names and not {"Line X5", "Line Z6"} & names
    assert to_check[0].checked_on is None
