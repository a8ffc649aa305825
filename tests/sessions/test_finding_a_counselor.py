"""Finding a counselor: the booking list shows only counselors who may counsel the client where they are now,
each refusal says why and links to its fix before a time is picked; the directory filters by language,
speciality and next free time."""

from datetime import time, timedelta

import pytest
from django.urls import reverse
from django.utils import translation

from consent.selectors import consent_onboarding_url
from counseling.clock import now
from counseling.gates import GateResult
from counseling.models import CounselorProfile
from sessions.models import WeeklyAvailability
from tests.conftest import make_counselor
from tests.licensing.factories import licence, licensed_in_indonesia


@pytest.fixture(autouse=True)
def _language_back_to_default():
    """A request with the Indonesian cookie leaves Indonesian active in this thread (the test client's
    LocaleMiddleware): put it back, so later tests read the default language."""
    yield
    translation.deactivate()


@pytest.fixture
def indonesia(db, monkeypatch, client_a, counselor_a, counselor_b):
    """Client A is in Jakarta (their intake); counselor A is licensed in Indonesia, counselor B only in Texas.
    The real jurisdiction gate decides; identity is open (its own tests are elsewhere)."""
    licensed_in_indonesia(counselor_a, valid_from=now().date() - timedelta(days=30))
    licence(counselor_b, "US-TX", kind="us_lpc", number="LPC-9", valid_from=now().date() - timedelta(days=30))
    monkeypatch.setattr("sessions.selectors.intake_place", lambda **kw: ("ID", "ID-JK"))
    monkeypatch.setattr("sessions.selectors.identity_gate", lambda **kw: GateResult.ok())
    return client_a


def test_the_booking_list_shows_only_counselors_licensed_where_the_client_is_now(client, indonesia, counselor_a):
    client.force_login(indonesia)
    page = client.get(reverse("sessions:booking_counselors")).content.decode()
    assert "Counselor A" in page and "Counselor B" not in page
    assert "1 counselor is not shown: not licensed there." in page


def test_without_consent_with_this_counselor_the_list_links_to_the_terms_with_their_details(
    client, indonesia, counselor_a
):
    client.force_login(indonesia)
    page = client.get(reverse("sessions:booking_counselors")).content.decode()
    fix = consent_onboarding_url(
        counselor=counselor_a, next_url=reverse("sessions:booking_slots", args=[counselor_a.pk])
    )
    assert "Read and accept the terms with this counselor's details" in page
    assert f'href="{fix.replace("&", "&amp;")}"' in page
    assert f'href="{reverse("sessions:booking_slots", args=[counselor_a.pk])}"' not in page  # no times yet


def test_with_consent_the_list_offers_the_times(client, indonesia, counselor_a, monkeypatch):
    monkeypatch.setattr("sessions.selectors.consent_gate", lambda **kw: GateResult.ok())
    client.force_login(indonesia)
    page = client.get(reverse("sessions:booking_counselors")).content.decode()
    assert f'href="{reverse("sessions:booking_slots", args=[counselor_a.pk])}"' in page


def test_a_client_whose_place_is_unknown_is_sent_to_the_intake(client, client_b, counselor_a, monkeypatch):
    monkeypatch.setattr("sessions.selectors.intake_place", lambda **kw: ("", ""))
    client.force_login(client_b)
    page = client.get(reverse("sessions:booking_counselors")).content.decode()
    assert 'data-refusal="location_unknown"' in page and f'href="{reverse("intake:home")}"' in page
    assert "Counselor A" not in page


def test_the_times_page_says_why_booking_would_be_refused_and_links_to_the_fix_before_a_time_is_picked(
    client, indonesia, counselor_a
):
    WeeklyAvailability.objects.create(counselor=counselor_a, weekday=0, start_time=time(9), end_time=time(12))
    client.force_login(indonesia)
    page = client.get(reverse("sessions:booking_slots", args=[counselor_a.pk])).content.decode()
    assert 'data-refusal="consent_missing"' in page
    assert "Read and accept the terms" in page and "/consent/?counselor=" in page


def test_a_refused_booking_links_to_its_fix(client, indonesia, counselor_a):
    client.force_login(indonesia)
    starts = (now() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    response = client.post(reverse("sessions:booking_slots", args=[counselor_a.pk]), {"starts_at": starts.isoformat()})
    page = response.content.decode()
    assert response.status_code == 200 and 'data-refusal="consent_missing"' in page
    assert f"/consent/?counselor={counselor_a.pk}" in page


# --- The directory's filters -----------------------------------------------------------------------------------


@pytest.fixture
def directory(db, counselor_a, counselor_b):
    """Counselor A: Indonesian and English, anxiety and grief, free every day. Counselor B: English only,
    couples, no hours. Counselor C: Indonesian only, no specialities, free only in three weeks' time."""
    day = now().date() - timedelta(days=30)
    licensed_in_indonesia(counselor_a, valid_from=day)
    licence(counselor_b, "US-TX", kind="us_lpc", number="LPC-9", valid_from=day)
    counselor_c = make_counselor("counselor.c@staff.test", "Counselor C")
    licensed_in_indonesia(counselor_c, valid_from=day)
    CounselorProfile.objects.filter(user=counselor_a).update(languages="id,en", specialities="Anxiety, grief")
    CounselorProfile.objects.filter(user=counselor_b).update(languages="en", specialities="couples")
    CounselorProfile.objects.filter(user=counselor_c).update(languages="id")
    for weekday in range(7):
        WeeklyAvailability.objects.create(counselor=counselor_a, weekday=weekday, start_time=time(0), end_time=time(23))
    return counselor_a, counselor_b, counselor_c


def _names(client, **query) -> set[str]:
    page = client.get(reverse("licensing:directory"), query).content.decode()
    return {name for name in ("Counselor A", "Counselor B", "Counselor C") if f">{name}</a>" in page}


def test_the_directory_filters_by_language(client, directory):
    assert _names(client) == {"Counselor A", "Counselor B", "Counselor C"}
    assert _names(client, language="id") == {"Counselor A", "Counselor C"}
    assert _names(client, language="en") == {"Counselor A", "Counselor B"}


def test_the_directory_filters_by_speciality_whatever_its_case(client, directory):
    page = client.get(reverse("licensing:directory")).content.decode()
    assert '<option value="Anxiety">Anxiety</option>' in page and '<option value="couples">couples</option>' in page
    assert _names(client, speciality="Anxiety") == {"Counselor A"}
    assert _names(client, speciality="couples") == {"Counselor B"}


def test_the_directory_filters_by_next_free_time_and_shows_it(client, directory):
    assert _names(client, free_within="3") == {"Counselor A"}
    page = client.get(reverse("licensing:directory")).content.decode()
    assert page.count("Next free time:") == 1 and "No free time in the next 14 days" in page


def test_an_unknown_filter_value_shows_everyone(client, directory):
    assert _names(client, language="xx", free_within="999") == {"Counselor A", "Counselor B", "Counselor C"}


def test_the_directory_filters_in_indonesian(client, directory):
    client.cookies["django_language"] = "id"
    page = client.get(reverse("licensing:directory"), {"language": "id"}).content.decode()
    assert '<html lang="id">' in page and ">Counselor C</a>" in page and ">Counselor B</a>" not in page


def test_the_directory_shows_a_page_of_counselors_each_with_its_next_free_time_and_keeps_the_filters(
    client, directory, settings
):
    settings.DIRECTORY_PAGE_SIZE = 2
    first = client.get(reverse("licensing:directory"), {"language": "id"}).content.decode()
    assert "Page" not in first  # two counselors speak Indonesian: one page
    first = client.get(reverse("licensing:directory")).content.decode()
    second = client.get(reverse("licensing:directory"), {"page": "2"}).content.decode()
    shown = [{n for n in ("Counselor A", "Counselor B", "Counselor C") if f">{n}</a>" in p} for p in (first, second)]
    assert (
        len(shown[0]) == 2
        and len(shown[1]) == 1
        and shown[0] | shown[1] == {"Counselor A", "Counselor B", "Counselor C"}
    )
    assert "Page 1 of 2" in first and 'href="?page=2"' in first
    assert ("Next free time:" in first) == (">Counselor A</a>" in first)  # filled in for the page shown
    assert ("Next free time:" in second) == (">Counselor A</a>" in second)
    narrowed = client.get(reverse("licensing:directory"), {"speciality": "", "language": "", "page": "1"})
    assert 'href="?speciality=&amp;language=&amp;page=2"' in narrowed.content.decode()
