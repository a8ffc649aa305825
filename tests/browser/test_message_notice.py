"""A counselor on their dashboard hears at once that a client wrote between sessions: who and where, not what."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import expect

from counseling.models import CounselorProfile
from sessions.models import Message
from tests.sessions.chat_helpers import open_session

pytestmark = pytest.mark.browser

TEXT = "Saya ingin bicara tentang pekerjaan saya yang hilang"


@pytest.fixture
def gates_open(monkeypatch):
    """Other features' gates, opened before the server process forks (it inherits the patch)."""
    from tests.sessions.chat_helpers import open_gates

    open_gates(monkeypatch)


def _conversation_between_sessions(client, counselor):
    conversation, _session = open_session(client, counselor)  # a confirmed location, as before a first session
    CounselorProfile.objects.filter(user=counselor).update(languages="en")  # the counselor reads English
    return conversation


def test_a_client_writes_between_sessions_and_the_counselors_dashboard_shows_a_notice(
    gates_open, live_server_url, browser, browser_login, screenshot, client_a, counselor_a
):
    # Out of Playwright's event-loop thread: saving a session sends real-time notices (async_to_sync).
    with ThreadPoolExecutor(1) as pool:
        conversation = pool.submit(_conversation_between_sessions, client_a, counselor_a).result()
    desk = browser.new_context(viewport={"width": 1280, "height": 900})
    counselor = browser_login(desk.new_page(), live_server_url, counselor_a)
    counselor.goto(f"{live_server_url}/counselor/")
    expect(counselor.locator("html")).to_have_attribute("data-alerts-connected", "1", timeout=10000)

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    client = browser_login(phone.new_page(), live_server_url, client_a)
    client.goto(f"{live_server_url}/sessions/chat/{conversation.pk}/")
    expect(client.locator("#chat-status")).to_have_attribute("data-state", "online")
    client.get_by_label("Pesan Anda").fill(TEXT)  # client A reads Indonesian
    client.get_by_role("button", name="Kirim").click()
    expect(client.locator(".msg.mine")).to_have_attribute("data-state", "sent")

    notice = counselor.locator(".live-alert.notice")
    expect(notice).to_have_count(1, timeout=10000)
    expect(notice).to_be_visible()
    expect(notice.locator(".live-alert-title")).to_have_text("New message from Client A")
    link = notice.get_by_role("link", name="Open the conversation")
    expect(link).to_have_attribute("href", f"/sessions/chat/{conversation.pk}/")
    assert "pekerjaan" not in notice.inner_text()
    expect(counselor.locator("#live-notices")).to_have_attribute("role", "status")
    screenshot(counselor, "message-notice-counselor-dashboard")

    # A second message replaces the card: one per conversation, never a pile.
    client.get_by_label("Pesan Anda").fill("Apakah Anda ada waktu?")
    client.get_by_role("button", name="Kirim").click()
    expect(client.locator(".msg.mine").last).to_have_attribute("data-state", "sent")
    counselor.wait_for_timeout(500)
    expect(notice).to_have_count(1)

    link.click()
    expect(counselor.locator(".msg.theirs .msg-body").first).to_have_text(TEXT)
    assert Message.objects.filter(conversation=conversation, session__isnull=True).count() == 2
    phone.close()
    desk.close()
