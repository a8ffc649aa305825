"""Emergency numbers by place: several per place, region first, admin-editable, shown where needed."""

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from counseling.models import EmergencyResource
from counseling.selectors import emergency_numbers_for

pytestmark = pytest.mark.django_db


def test_indonesia_has_several_numbers_including_112_and_sejiwa():
    numbers = emergency_numbers_for(country="id")
    assert len(numbers) >= 3
    assert "112" in [r.number for r in numbers]
    sejiwa = next(r for r in numbers if "SEJIWA" in r.name)
    assert (sejiwa.number, sejiwa.extension) == ("119", "8")


def test_the_united_states_is_seeded_too():
    numbers = [r.number for r in emergency_numbers_for(country="US", region="US-TX")]
    assert "911" in numbers and "988" in numbers


def test_a_regions_own_numbers_come_first_then_the_countrys():
    EmergencyResource.objects.create(country="ID", region="ID-JK", name="Jakarta crisis line", number="021-500454",
                                     sort_order=999)
    numbers = emergency_numbers_for(country="ID", region="ID-JK")
    assert numbers[0].name == "Jakarta crisis line"
    assert "112" in [r.number for r in numbers[1:]]
    assert "Jakarta crisis line" not in [r.name for r in emergency_numbers_for(country="ID", region="ID-YO")]


def test_inactive_numbers_are_not_shown_and_an_unknown_place_says_call_local():
    EmergencyResource.objects.filter(country="US", number="911").update(is_active=False)
    assert "911" not in [r.number for r in emergency_numbers_for(country="US")]
    with translation.override("en"):
        html = render_to_string("counseling/_emergency_numbers.html",
                                {"emergency_numbers": emergency_numbers_for(country="FR")})
    assert "local emergency number" in html


def test_the_partial_lists_numbers_as_phone_links():
    with translation.override("en"):
        html = render_to_string("counseling/_emergency_numbers.html",
                                {"emergency_numbers": emergency_numbers_for(country="ID")})
    assert 'href="tel:112"' in html and "ext. 8" in html


def test_admins_edit_the_numbers_in_the_admin(client, admin_user, staff_login):
    staff_login(client, admin_user)
    assert client.get("/admin/counseling/emergencyresource/").status_code == 200
    response = client.post("/admin/counseling/emergencyresource/add/", {
        "country": "MY", "region": "", "name": "Befrienders KL", "number": "03-76272929", "extension": "",
        "description": "", "hours": "24/7", "sort_order": 10, "is_active": "on"})
    assert response.status_code == 302
    assert [r.name for r in emergency_numbers_for(country="MY")] == ["Befrienders KL"]


def test_counselors_and_clients_cannot_edit_the_numbers(client, counselor_a, client_a, staff_login):
    staff_login(client, counselor_a)
    assert client.get("/admin/counseling/emergencyresource/").status_code == 302
    client.force_login(client_a)
    assert client.get("/admin/counseling/emergencyresource/").status_code == 302


def test_the_intake_overview_shows_the_numbers(client, client_a):
    client.force_login(client_a)
    page = client.get(reverse("intake:home")).content.decode()
    assert "112" in page and "SEJIWA" in page


def test_the_transparency_page_shows_the_numbers_admins_keep(client):
    EmergencyResource.objects.create(country="ID", name="Hotline added by an admin", number="0800-1-555-000")
    page = client.get(reverse("consent:transparency")).content.decode()
    assert "Hotline added by an admin" in page and 'href="tel:08001555000"' in page
