"""A client (on a phone-sized screen) and a counselor chat in two browser contexts against a real Daphne."""

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import reseed_data_migrations
from tests.sessions.chat_helpers import open_session

pytestmark = pytest.mark.browser


@pytest.fixture
def gates_open(monkeypatch):
    """Other features' gates, opened before the server process forks (it inherits the patch)."""
    from tests.sessions.chat_helpers import open_gates

    open_gates(monkeypatch)


def test_client_and_counselor_chat_with_delivery_states_and_an_outbox_that_survives_reload(
    gates_open, live_server_url, browser, browser_login, screenshot, client_a, counselor_a
):
    # Out of Playwright's event-loop thread: saving a session sends real-time notices (async_to_sync).
    with ThreadPoolExecutor(1) as pool:
        _, session = pool.submit(open_session, client_a, counselor_a, code_word_matched=False).result()
        pool.submit(_emergency_plan_and_numbers, client_a).result()
    url = f"{live_server_url}/sessions/{session.pk}/chat/"
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    desk = browser.new_context(viewport={"width": 1280, "height": 900})
    client = browser_login(phone.new_page(), live_server_url, client_a)
    counselor = browser_login(desk.new_page(), live_server_url, counselor_a)
    client.goto(url)
    counselor.goto(url)
    # Client A reads the site in Indonesian, the counselor in English: check states, not words.
    expect(client.locator("#chat-status")).to_have_attribute("data-state", "online")
    expect(client.locator("#chat-status")).to_have_text("Terhubung")
    expect(counselor.locator("#chat-status")).to_have_text("Connected")
    expect(counselor.get_by_role("heading", name="Before you start")).to_be_visible()

    # The code word comes first (ACA H.3): the client is asked as the chat opens, without the counselor's click,
    # and the counselor cannot write until it matched.
    expect(client.locator("#code-word-box")).to_be_visible()
    counselor.get_by_label("Your message").fill("Selamat datang.")
    counselor.get_by_role("button", name="Send").click()
    expect(counselor.locator(".msg.mine.refused .msg-meta")).to_contain_text(
        "Wait until it matches before you start. To go on without a match, write down why in the panel"
    )
    expect(client.locator(".msg")).to_have_count(0)  # nothing reached the client
    screenshot(counselor, "chat-counselor-before-the-code-word")
    client.locator("#code-word-input").fill("kupu-kupu biru")
    client.locator("#code-word-form button").click()
    expect(client.locator("#code-word-box")).to_be_hidden()
    expect(counselor.locator("#code-word-result")).to_have_text("Code word matches")
    expect(counselor.locator("#code-word-override-form")).to_be_hidden()

    client.get_by_label("Pesan Anda").fill("Halo, saya merasa cemas sejak minggu lalu.")
    client.get_by_role("button", name="Kirim").click()
    expect(counselor.locator(".msg.theirs .msg-body")).to_have_text("Halo, saya merasa cemas sejak minggu lalu.")
    # The counselor's page is open, so the message is read at once: the client sees "read".
    expect(client.locator(".msg.mine")).to_have_attribute("data-state", "read")
    expect(client.locator(".msg.mine .msg-meta")).to_have_text(re.compile(r"dibaca$"))
    counselor.get_by_label("Your message").fill("Terima kasih sudah bercerita. Sejak kapan tepatnya?")
    counselor.get_by_role("button", name="Send").click()
    expect(client.locator(".msg.theirs .msg-body")).to_have_text("Terima kasih sudah bercerita. Sejak kapan tepatnya?")

    # Offline: the message waits in the outbox (localStorage), survives a reload, and is sent on reconnect.
    # The page forgets its socket when the network goes, without waiting for a closing handshake.
    phone.set_offline(True)
    expect(client.locator("#chat-status")).to_have_attribute("data-state", "offline", timeout=2000)
    client.get_by_label("Pesan Anda").fill("Ini terkirim nanti")
    client.get_by_role("button", name="Kirim").click()
    expect(client.locator(".msg.pending")).to_have_attribute("data-state", "sending")
    assert "Ini terkirim nanti" in client.evaluate("JSON.stringify(Object.assign({}, localStorage))")
    phone.set_offline(False)
    client.reload()
    expect(counselor.locator(".msg.theirs .msg-body").last).to_have_text("Ini terkirim nanti", timeout=15000)
    expect(client.locator(".msg.mine")).to_have_count(2)
    expect(client.locator(".msg.pending")).to_have_count(0)
    expect(client.locator(".msg .msg-body")).to_have_text(
        [  # server order, the late one last
            "Halo, saya merasa cemas sejak minggu lalu.",
            "Terima kasih sudah bercerita. Sejak kapan tepatnya?",
            "Ini terkirim nanti",
        ]
    )
    assert "Ini terkirim nanti" not in client.evaluate("JSON.stringify(Object.assign({}, localStorage))")

    # The session-start panel: where the client is, the numbers there, the contact they authorised; and the
    # code word, which the counselor may ask again at any time, learning only whether it matched.
    panel = counselor.locator(".chat-panel")
    expect(panel).to_contain_text("Indonesia")
    expect(panel.locator(".numbers li").first).to_contain_text("112")
    expect(panel).to_contain_text("Budi Santoso")
    expect(panel).to_contain_text("+62 813 5550 9876")
    counselor.get_by_role("button", name="Ask for the code word").click()
    expect(client.locator("#code-word-box")).to_be_visible()
    client.locator("#code-word-input").fill("kupu-kupu biru")
    client.locator("#code-word-form button").click()
    expect(client.locator("#code-word-box")).to_be_hidden()
    expect(counselor.locator("#code-word-result")).to_have_text("Code word matches")
    expect(counselor.locator("#code-word-result")).to_have_class(re.compile(r"\bok\b"))
    assert "kupu-kupu" not in counselor.content()

    screenshot(client, "chat-client-phone")
    screenshot(counselor, "chat-counselor-panel")
    phone.close()
    desk.close()


def _emergency_plan_and_numbers(client):
    """What the real site has by the first session: the client's intake with an emergency contact they
    authorised and a code word, and the emergency numbers the migration seeds (this test's database is
    emptied between tests, seed included)."""
    from tests.counseling.test_intake import complete_intake

    reseed_data_migrations()
    complete_intake(client)


@pytest.fixture
def short_inactivity(settings):
    """Set before the server process forks (it inherits the setting)."""
    settings.INACTIVITY_TIMEOUT_SECONDS = 4


def test_a_chat_left_open_signs_the_client_out_and_leaves_for_the_sign_in_page(
    gates_open, short_inactivity, live_server_url, browser, browser_login, screenshot, client_a, counselor_a
):
    with ThreadPoolExecutor(1) as pool:
        _, session = pool.submit(open_session, client_a, counselor_a).result()
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    client = browser_login(phone.new_page(), live_server_url, client_a)
    client.goto(f"{live_server_url}/sessions/{session.pk}/chat/")
    expect(client.locator("#chat-status")).to_have_attribute("data-state", "online")
    client.get_by_label("Pesan Anda").fill("Sebentar, saya ambil minum dulu.")
    client.get_by_role("button", name="Kirim").click()
    expect(client.locator(".msg.mine")).to_have_attribute("data-state", "sent")
    # Then nothing: no typing, no sending. The open page's own read receipts do not keep it signed in.
    expect(client).to_have_url(
        re.compile(r"/accounts/login/\?next=%2Fsessions%2F\d+%2Fchat%2F&signed_out=inactive$"), timeout=10000
    )
    expect(client.locator(".messages")).to_contain_text("Anda telah dikeluarkan karena tidak ada aktivitas.")
    assert "Sebentar, saya ambil minum dulu." not in client.content()
    screenshot(client, "chat-signed-out-after-inactivity-phone")
    client.goto(f"{live_server_url}/sessions/{session.pk}/chat/")  # the pages agree: signed out
    expect(client).to_have_url(re.compile(r"/accounts/login/"))
    phone.close()
