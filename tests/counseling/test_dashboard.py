"""The client's dashboard: sessions, counselor, reply-time promise, messaging, and urgent help."""

from datetime import timedelta

import pytest

from counseling.clock import now
from sessions.models import CounselingSession

pytestmark = pytest.mark.django_db


def book(client, counselor, *, days: float, state="scheduled") -> CounselingSession:
    start = now().replace(microsecond=0) + timedelta(days=days)
    return CounselingSession.objects.create(
        client=client,
        counselor=counselor,
        starts_at=start,
        ends_at=start + timedelta(minutes=50),
        state=state,
        client_time_zone="Asia/Jakarta",
        counselor_time_zone="America/Chicago",
    )


def test_client_sees_upcoming_and_past_sessions_with_both_time_zones(client, client_a, counselor_a):
    upcoming = book(client_a, counselor_a, days=3)
    past = book(client_a, counselor_a, days=-3, state="completed")
    client.force_login(client_a)
    page = client.get("/client/").content.decode()
    assert page.index("Upcoming sessions") < page.index(f"/sessions/{upcoming.pk}/") < page.index("Past sessions")
    assert page.index("Past sessions") < page.index(f"/sessions/{past.pk}/")
    assert "Asia/Jakarta" in page and "America/Chicago" in page


def test_client_sees_their_counselor_the_reply_promise_and_a_way_to_message(client, client_a, counselor_a):
    counselor_a.counselor_profile.response_time_promise_hours = 8
    counselor_a.counselor_profile.save(update_fields=["response_time_promise_hours"])
    book(client_a, counselor_a, days=3)
    client.force_login(client_a)
    page = client.get("/client/").content.decode()
    assert "Counselor A" in page
    assert "within 8 hours" in page or "dalam 8 jam" in page
    assert "Message your counselor" in page or "Kirim pesan" in page


def test_the_i_need_help_now_box_is_always_visible_with_more_than_one_number(client, client_a):
    client.force_login(client_a)  # no sessions at all
    page = client.get("/client/").content.decode()
    assert 'id="help-now-heading"' in page
    assert "112" in page and "119" in page


def test_a_client_without_sessions_is_offered_booking(client, client_b):
    client.force_login(client_b)
    page = client.get("/client/").content.decode()
    assert "You have no upcoming sessions." in page and "/sessions/book/" in page


def test_another_clients_sessions_never_appear(client, client_a, client_b, counselor_a):
    theirs = book(client_b, counselor_a, days=3)
    client.force_login(client_a)
    assert f"/sessions/{theirs.pk}/" not in client.get("/client/").content.decode()


def test_the_client_dashboard_is_for_clients_only(client, counselor_a, staff_login):
    assert client.get("/client/").status_code == 302
    staff_login(client, counselor_a)
    assert client.get("/client/").status_code == 403


def test_the_dashboard_speaks_indonesian(client, client_a, counselor_a):
    book(client_a, counselor_a, days=3)
    client.force_login(client_a)
    client.cookies["django_language"] = "id"
    page = client.get("/client/").content.decode()
    assert "Saya butuh bantuan sekarang" in page and "Sesi mendatang" in page
    assert "Zona waktu" in page or "waktu Anda" in page
