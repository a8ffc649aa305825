"""Location before every session: confirmed by the client, stored with the session, a change visible."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from counseling.clock import now
from counseling.models import AuditEntry
from identity.numbers import emergency_numbers_for
from sessions.selectors import session_location_change
from sessions.services import session_location_confirm
from tests.counseling.test_intake import complete_intake

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(client_a, counselor_a):
    from sessions.models import CounselingSession

    complete_intake(client_a, country="ID", region="ID-YO")
    return CounselingSession.objects.create(
        client=client_a, counselor=counselor_a, starts_at=now() + timedelta(hours=2), ends_at=now() + timedelta(hours=3)
    )


def test_the_client_confirms_the_location_and_it_is_stored_with_the_session(client, client_a, session):
    client.force_login(client_a)
    page = client.get(reverse("sessions:session_location", args=[session.pk]))
    assert page.status_code == 200
    assert b'value="ID-YO"' in page.content  # the intake location is offered first
    response = client.post(
        reverse("sessions:session_location", args=[session.pk]), {"country": "ID", "region": "id-jk"}
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert (session.location_country, session.location_region) == ("ID", "ID-JK")
    assert session.location_confirmed_at is not None
    entry = AuditEntry.objects.get(action="session.location_confirmed")
    assert entry.detail == {"differs_from_intake": True, "landmark_given": False} and entry.subject_id == client_a.pk


def test_a_change_from_the_intake_location_is_visible_to_the_counselor(
    client, client_a, counselor_a, session, staff_login
):
    session_location_confirm(session=session, client=client_a, country="ID", region="ID-YO")
    assert session_location_change(session=session) is None
    session_location_confirm(session=session, client=client_a, country="US", region="US-TX")
    change = session_location_change(session=session)
    assert (change.intake_country, change.intake_region, change.session_country, change.session_region) == (
        "ID",
        "ID-YO",
        "US",
        "US-TX",
    )
    staff_login(client, counselor_a)
    page = client.get(reverse("sessions:code_word_result", args=[session.pk])).content.decode()
    assert "differs from the intake location" in page and "US-TX" in page


def test_the_location_decides_the_emergency_numbers(client_a, session):
    session_location_confirm(session=session, client=client_a, country="US", region="")
    numbers = [
        r.number for r in emergency_numbers_for(country=session.location_country, region=session.location_region)
    ]
    assert "911" in numbers and "988" in numbers and "112" not in numbers


def test_a_region_of_another_country_is_refused(client_a, session):
    with pytest.raises(ValidationError):
        session_location_confirm(session=session, client=client_a, country="ID", region="US-TX")
    session.refresh_from_db()
    assert session.location_confirmed_at is None


def test_only_the_sessions_client_can_confirm(client_b, session):
    with pytest.raises(PermissionDenied):
        session_location_confirm(session=session, client=client_b, country="ID")


def test_outsiders_cannot_open_the_location_page(client, session, client_b, counselor_a, counselor_b, staff_login):
    url = reverse("sessions:session_location", args=[session.pk])
    client.force_login(client_b)
    assert client.get(url).status_code == 404
    assert client.post(url, {"country": "ID"}).status_code == 404
    for staff in (counselor_a, counselor_b):
        staff_login(client, staff)
        assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302
    session.refresh_from_db()
    assert session.location_confirmed_at is None


def test_an_ended_session_cannot_be_confirmed(client_a, session):
    from sessions.models import SessionState

    session.state = SessionState.COMPLETED
    session.save(update_fields=["state"])
    with pytest.raises(ValidationError):
        session_location_confirm(session=session, client=client_a, country="ID")


def test_the_intake_overview_asks_for_the_location_of_each_coming_session_in_the_clients_time(
    client, client_a, session
):
    client.force_login(client_a)
    page = client.get(reverse("intake:home")).content.decode()
    assert reverse("sessions:session_location", args=[session.pk]) in page
    assert "Confirm where you are" in page and "(Asia/Jakarta)" in page
    local = session.starts_at.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Jakarta"))
    assert local.strftime("%H:%M") in page
