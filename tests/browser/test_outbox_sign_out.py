"""Nothing readable is left in the browser: unsent chat messages (the outbox in localStorage) are discarded
at sign-out, by the sign-out button and by the chat's inactivity sign-out, and the person is told how many."""

import json
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import expect

from tests.sessions.chat_helpers import open_session

pytestmark = pytest.mark.browser

UNSENT = "Draft that never reached the server"


@pytest.fixture
def gates_open(monkeypatch):
    """Other features' gates, opened before the server process forks (it inherits the patch)."""
    from tests.sessions.chat_helpers import open_gates

    open_gates(monkeypatch)


@pytest.fixture
def short_inactivity(settings):
    settings.INACTIVITY_TIMEOUT_SECONDS = 6


def outbox_keys(page) -> list[str]:
    return page.evaluate("Object.keys(localStorage).filter((k) => k.startsWith('chat-outbox:'))")


def hold_sent_messages(context) -> None:
    """The real socket, except that the page's "send" frames never reach the server: what is typed stays in
    the outbox, as it does while the network is down."""

    def route(ws):
        server = ws.connect_to_server()

        def from_page(message):
            try:
                kind = json.loads(message).get("type")
            except (TypeError, ValueError):
                kind = None
            if kind != "send":
                server.send(message)

        ws.on_message(from_page)

    context.route_web_socket(re.compile(r"/ws/chat/"), route)


def type_while_offline(context, page) -> None:
    expect(page.locator("#chat-status")).to_have_attribute("data-state", "online")
    context.set_offline(True)
    expect(page.locator("#chat-status")).to_have_attribute("data-state", "offline", timeout=3000)
    page.get_by_label("Your message").fill(UNSENT)
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".msg.pending")).to_have_attribute("data-state", "sending")
    context.set_offline(False)
    expect(page.locator("#chat-status")).to_have_attribute("data-state", "online", timeout=15000)
    expect(page.locator(".msg.pending")).to_have_count(1)  # still unacknowledged after the reconnect
    assert outbox_keys(page) and UNSENT in page.evaluate("JSON.stringify(Object.assign({}, localStorage))")


def test_signing_out_discards_the_unsent_messages_and_says_how_many(
    gates_open, live_server_url, browser, browser_login, screenshot, client_b, counselor_a
):
    with ThreadPoolExecutor(1) as pool:
        _, session = pool.submit(open_session, client_b, counselor_a).result()
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    hold_sent_messages(phone)
    page = browser_login(phone.new_page(), live_server_url, client_b)
    page.goto(f"{live_server_url}/sessions/{session.pk}/chat/")
    type_while_offline(phone, page)

    page.get_by_role("button", name="Sign out").click()
    expect(page.locator(".messages")).to_contain_text(
        "1 unsent chat message was discarded from this browser, so nobody using this device can read it."
    )
    assert outbox_keys(page) == []
    assert UNSENT not in page.evaluate("JSON.stringify(Object.assign({}, localStorage))")
    screenshot(page, "outbox-discarded-at-sign-out-phone")
    phone.close()


def test_the_chats_inactivity_sign_out_discards_the_unsent_messages_and_says_how_many(
    gates_open, short_inactivity, live_server_url, browser, browser_login, screenshot, client_b, counselor_a
):
    with ThreadPoolExecutor(1) as pool:
        _, session = pool.submit(open_session, client_b, counselor_a).result()
    desk = browser.new_context(viewport={"width": 1100, "height": 800})
    hold_sent_messages(desk)
    page = browser_login(desk.new_page(), live_server_url, client_b)
    page.goto(f"{live_server_url}/sessions/{session.pk}/chat/")
    type_while_offline(desk, page)

    # Nothing more is done: the socket reports the inactivity sign-out, and the page leaves for the sign-in page.
    expect(page).to_have_url(re.compile(r"/accounts/login/\?.*signed_out=inactive.*&discarded=1$"), timeout=20000)
    expect(page.locator(".messages")).to_contain_text("You were signed out after a period of inactivity.")
    expect(page.locator(".messages")).to_contain_text("1 unsent chat message was discarded from this browser")
    assert outbox_keys(page) == []
    screenshot(page, "outbox-discarded-at-inactivity-sign-out")
    desk.close()


def test_an_outbox_left_behind_is_discarded_on_the_next_signed_out_page_with_a_notice(
    live_server_url, page, screenshot
):
    page.goto(live_server_url + "/accounts/login/")
    page.evaluate(
        "localStorage.setItem('chat-outbox:7:3', JSON.stringify([{id: 'a', body: 'x'}, {id: 'b', body: 'y'}]))"
    )
    page.reload()
    expect(page.locator("#outbox-discarded")).to_be_visible()
    expect(page.locator("#outbox-discarded")).to_contain_text("2 unsent chat messages were left in this browser")
    assert outbox_keys(page) == []
