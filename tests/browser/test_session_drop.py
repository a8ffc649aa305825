"""A dropped session, end to end: the client is in a session chat, their page closes and does not come back; once
CLIENT_RECONNECT_MINUTES have passed, the counselor's open page is alerted, their session page shows the client's
plan for a dropped connection and phone, and they record what they did."""

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.conf import settings
from playwright.sync_api import expect

from counseling.clock import now
from counseling.models import CounselorProfile
from identity.services import intake_submit
from sessions.chat import drops
from sessions.models import ClientPresence, SessionDrop
from tests.browser.conftest import reseed_data_migrations
from tests.security.conftest import INTAKE_ANSWERS
from tests.sessions.chat_helpers import open_session

pytestmark = pytest.mark.browser


@pytest.fixture
def drop_server(settings, monkeypatch):
    """Set before the server process forks (it inherits both): the chat's gates open (other features' work), and the
    server's embedded scheduler running only the drop sweep, at every tick instead of every minute."""
    from tests.sessions.chat_helpers import open_gates

    open_gates(monkeypatch)
    settings.CELERY_BEAT_SCHEDULE = {
        "session-drops": {**settings.CELERY_BEAT_SCHEDULE["session-drops"], "schedule": 1.0},
    }


def _session_in_progress(client, counselor):
    reseed_data_migrations()  # the emergency numbers beside the chat, as a real install has them
    intake_submit(client=client, answers=INTAKE_ANSWERS, emergency_contact_authorised=True, code_word="kupu-kupu")
    CounselorProfile.objects.filter(user=counselor).update(languages="en")  # the counselor reads English
    _conversation, session = open_session(client, counselor)
    session.state, session.started_at = "in_progress", now()
    session.save(update_fields=["state", "started_at"])
    return session


def _wait_for(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_the_clients_page_closes_and_the_counselor_sees_the_drop_plan_and_records_what_they_did(
    drop_server, live_server_url, browser, browser_login, screenshot, client_a, counselor_a
):
    # Out of Playwright's event-loop thread: writes that send real-time notices (async_to_sync).
    pool = ThreadPoolExecutor(1)
    session = pool.submit(_session_in_progress, client_a, counselor_a).result()
    url = f"{live_server_url}/sessions/{session.pk}/chat/"
    desk = browser.new_context(viewport={"width": 1280, "height": 900})
    counselor = browser_login(desk.new_page(), live_server_url, counselor_a)
    counselor.goto(url)
    expect(counselor.locator("#chat-status")).to_have_text("Connected")
    expect(counselor.locator("html")).to_have_attribute("data-alerts-connected", "1", timeout=10000)
    expect(counselor.locator("#session-drop")).to_have_count(0)  # nothing has dropped

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    client = browser_login(phone.new_page(), live_server_url, client_a)
    client.goto(url)
    expect(client.locator("#chat-status")).to_have_attribute("data-state", "online")
    expect(client.locator("#session-drop")).to_have_count(0)  # the plan is for the counselor's page only
    client.close()  # the client's page closes (a lost network looks the same to the server)
    _wait_for(lambda: ClientPresence.objects.filter(session=session, left_at__isnull=False).exists())

    # Time passes: the client's last moment in the session moves back past the configured minutes, and the
    # server's own sweep (the embedded scheduler; with Redis, beat's job is run here) finds the drop.
    past = now() - timedelta(minutes=settings.CLIENT_RECONNECT_MINUTES, seconds=30)
    ClientPresence.objects.filter(session=session).update(left_at=past, seen_at=past)
    if not settings.EMBEDDED_JOBS:
        pool.submit(drops.session_drops_check).result()
    _wait_for(lambda: SessionDrop.objects.filter(session=session).exists(), seconds=20)

    alert = counselor.locator(".live-alert").filter(has_text="connection dropped and has not come back")
    expect(alert).to_be_visible(timeout=10000)
    expect(alert).to_contain_text("Client A's connection dropped and has not come back")
    expect(counselor.locator("#live-alerts")).to_have_attribute("role", "alert")  # it interrupts
    screenshot(counselor, "session-drop-alert-counselor")
    alert.get_by_role("link", name="Open the session").click()

    panel = counselor.locator("#session-drop")
    expect(panel).to_be_visible()
    expect(panel.locator(".drop-plan")).to_have_text(INTAKE_ANSWERS["connection_drop_plan"])
    expect(panel.locator("#drop-phone a[href='tel:+6281255501234']")).to_have_text("+62 812 5550 1234")
    expect(panel.locator("#drop-contact a[href='tel:+6281355509876']")).to_be_visible()
    screenshot(counselor, "session-drop-plan-counselor")

    panel.get_by_label("Wrote to the client on this platform").check()
    panel.get_by_label("Phoned the client").check()
    panel.get_by_label("Note (optional; kept encrypted with the client's records)").fill(
        "No answer at first; she called back, the power was out. Safe."
    )
    panel.get_by_role("button", name="Record what I did").click()
    expect(counselor.locator(".messages")).to_contain_text("Recorded what you did about the dropped connection.")
    expect(panel.locator(".drop-recorded")).to_contain_text("Wrote to the client on this platform; Phoned the client")
    expect(panel.get_by_role("button", name="Record what I did")).to_have_count(0)
    screenshot(counselor, "session-drop-recorded-counselor")

    drop = SessionDrop.objects.get(session=session)
    assert drop.actions == ["wrote", "phoned_client"] and drop.recorded_by_id == counselor_a.pk
    pool.shutdown()
    phone.close()
    desk.close()
