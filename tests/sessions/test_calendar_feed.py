"""The private calendar feed: at a secret address without a session cookie, no names or content, the token kept
hashed, a reset that kills the old address, audited."""

import hashlib
import re
from datetime import UTC, datetime, time, timedelta

import pytest
from django.test import Client
from django.utils import translation

from counseling.models import AuditEntry
from sessions.models import CalendarFeed, WeeklyAvailability
from sessions.services import calendar_feed_reset, session_book, session_cancel
from tests.sessions.booking_support import MONDAY, open_gates

AT = MONDAY - timedelta(days=3)
SLOT = datetime(2027, 2, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
def booked(db, monkeypatch, counselor_a, client_a, client_b):
    open_gates(monkeypatch)
    WeeklyAvailability.objects.create(counselor=counselor_a, weekday=0, start_time=time(9), end_time=time(12))
    mine = session_book(client=client_a, counselor=counselor_a, starts_at=SLOT, at=AT)
    other = session_book(client=client_b, counselor=counselor_a, starts_at=SLOT + timedelta(hours=1), at=AT)
    return mine, other


def feed(token: str):
    return Client().get(f"/sessions/calendar/{token}.ics")  # a calendar app: no cookie


def summary_in(language: str) -> str:
    with translation.override(language):
        return translation.gettext("Counseling session")


def test_the_clients_feed_has_their_sessions_with_no_names_and_no_content(booked, client_a, counselor_a, settings):
    settings.SITE_URL = "https://konseling.test"
    mine, other = booked
    token = calendar_feed_reset(user=client_a)
    response = feed(token)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    body = response.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert body.count("BEGIN:VEVENT") == 1  # only the client's own session
    assert "DTSTART:20270201T020000Z" in body and "DTEND:20270201T025000Z" in body
    assert f"SUMMARY:{summary_in('id')}" in body  # in the client's language
    assert f"URL:https://konseling.test/sessions/{mine.pk}/" in body
    for private in (client_a.display_name, counselor_a.display_name, client_a.email, counselor_a.email, "Jakarta"):
        assert private not in body
    assert f"/sessions/{other.pk}/" not in body


def test_the_counselors_feed_has_all_their_sessions_and_no_client_names(booked, counselor_a, client_a, client_b):
    token = calendar_feed_reset(user=counselor_a)
    body = feed(token).content.decode()
    assert body.count("BEGIN:VEVENT") == 2
    for private in (client_a.display_name, client_b.display_name, client_a.email, client_b.email):
        assert private not in body


def test_a_cancelled_session_is_sent_as_cancelled_so_calendars_remove_it(booked, client_a):
    mine, _other = booked
    session_cancel(session=mine, actor=client_a, reason="unwell", at=AT)
    body = feed(calendar_feed_reset(user=client_a)).content.decode()
    assert "STATUS:CANCELLED" in body and "STATUS:CONFIRMED" not in body


def test_lines_are_folded_to_75_octets_and_end_with_crlf(booked, client_a, settings):
    settings.SITE_URL = "https://a-rather-long-host-name-for-a-counseling-service.example.org"
    body = feed(calendar_feed_reset(user=client_a)).content
    lines = body.split(b"\r\n")
    assert b"\n" not in b"".join(lines)
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines)  # the long DESCRIPTION was folded


def test_only_the_tokens_hash_is_stored(booked, client_a):
    token = calendar_feed_reset(user=client_a)
    stored = CalendarFeed.objects.get(user=client_a).token_sha256
    assert stored == hashlib.sha256(token.encode()).hexdigest() and token not in stored
    assert len(token) >= 40


def test_a_reset_makes_the_old_address_404_and_is_audited(booked, client_a):
    old = calendar_feed_reset(user=client_a)
    new = calendar_feed_reset(user=client_a)
    assert feed(old).status_code == 404
    assert feed(new).status_code == 200
    assert AuditEntry.objects.filter(action="calendar_feed.created", actor_id=client_a.pk).count() == 1
    assert AuditEntry.objects.filter(action="calendar_feed.reset", actor_id=client_a.pk).count() == 1


@pytest.mark.parametrize("token", ["", "x", "a" * 43, "a" * 500])
def test_an_unknown_address_is_404(booked, client_a, token):
    calendar_feed_reset(user=client_a)
    assert feed(token).status_code == 404


def test_an_inactive_persons_feed_is_404(booked, client_a):
    token = calendar_feed_reset(user=client_a)
    client_a.is_active = False
    client_a.save(update_fields=["is_active"])
    assert feed(token).status_code == 404


# --- The settings page ------------------------------------------------------------------------------


def test_the_settings_page_shows_the_address_once_and_can_reset_and_turn_it_off(client, booked, client_a):
    client.force_login(client_a)
    page = client.get("/sessions/calendar/").content.decode()
    assert ".ics" not in page
    response = client.post("/sessions/calendar/", {"action": "reset"})
    assert response["Cache-Control"] == "no-store"
    first = re.search(r"/sessions/calendar/([\w-]+)\.ics", response.content.decode()).group(1)
    assert feed(first).status_code == 200
    assert ".ics" not in client.get("/sessions/calendar/").content.decode()  # never shown again
    response = client.post("/sessions/calendar/", {"action": "reset"})
    second = re.search(r"/sessions/calendar/([\w-]+)\.ics", response.content.decode()).group(1)
    assert second != first and feed(first).status_code == 404 and feed(second).status_code == 200
    client.post("/sessions/calendar/", {"action": "off"})
    assert feed(second).status_code == 404 and not CalendarFeed.objects.exists()
    assert AuditEntry.objects.filter(action="calendar_feed.removed", actor_id=client_a.pk).count() == 1


def test_the_client_home_links_to_the_calendar_feed(client, booked, client_a):
    client.force_login(client_a)
    assert "/sessions/calendar/" in client.get("/client/").content.decode()


def test_admins_have_no_calendar_feed(client, admin_user, staff_login):
    staff_login(client, admin_user)
    assert client.get("/sessions/calendar/").status_code == 404
    assert client.post("/sessions/calendar/", {"action": "reset"}).status_code == 404
    assert not CalendarFeed.objects.exists()
