"""A client (on a phone-sized screen) and a counselor hold a video call in two Chromium contexts with fake camera and
microphone, on loopback against a real Daphne: the peer connection connects, media bytes flow, a hang-up ends it,
and the call events are recorded (never any content)."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import CHROMIUM
from tests.sessions.chat_helpers import open_session

pytestmark = pytest.mark.browser

FAKE_MEDIA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
CONNECTED = "() => window.__call && window.__call.pc && window.__call.pc.connectionState === 'connected'"
BYTES_RECEIVED = """async () => {
  let total = 0;
  (await window.__call.pc.getStats()).forEach((report) => {
    if (report.type === "inbound-rtp") total += report.bytesReceived || 0;
  });
  return total;
}"""


def _connected(page, *others) -> None:
    """Wait for the page's peer connection to connect; if it does not, say in what state each page was."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(CONNECTED, timeout=20000)
    except PlaywrightTimeout:
        states = [
            each.evaluate(
                "() => ({status: document.getElementById('call-status').dataset.state, pc: window.__call.pc && "
                "[window.__call.pc.connectionState, window.__call.pc.signalingState, "
                "window.__call.pc.iceConnectionState, window.__call.pc.iceGatheringState], log: window.__call.log})"
            )
            for each in (page, *others)
        ]
        raise AssertionError(f"the call did not connect: {states}") from None


@pytest.fixture
def gates_open(monkeypatch):
    """Other features' gates, opened before the server process forks (it inherits the patch)."""
    from tests.sessions.chat_helpers import open_gates

    open_gates(monkeypatch)


@pytest.fixture
def media_browser(browser_type, browser_type_launch_args):
    """Chromium with a fake camera and microphone that grants their use without asking."""
    browser = browser_type.launch(
        executable_path=CHROMIUM, args=[*browser_type_launch_args.get("args", []), *FAKE_MEDIA]
    )
    yield browser
    browser.close()


def _video_session(client, counselor, medium="video"):
    _conversation, session = open_session(client, counselor)
    session.medium = medium
    session.save(update_fields=["medium"])
    return session


def test_client_and_counselor_connect_a_video_call_and_its_events_are_recorded(
    gates_open, live_server_url, media_browser, browser_login, screenshot, client_a, counselor_a
):
    from sessions.models import CallEvent

    with ThreadPoolExecutor(1) as pool:
        session = pool.submit(_video_session, client_a, counselor_a).result()
    phone = media_browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    desk = media_browser.new_context(viewport={"width": 1280, "height": 900})
    client = browser_login(phone.new_page(), live_server_url, client_a)
    counselor = browser_login(desk.new_page(), live_server_url, counselor_a)

    # "Join call" on the session page of a video session leads to the call page.
    counselor.goto(f"{live_server_url}/sessions/{session.pk}/")
    counselor.get_by_role("link", name="Join call").click()
    counselor.wait_for_url(f"**/sessions/{session.pk}/call/")
    expect(counselor.locator("#call-status")).to_have_attribute("data-state", "waiting")
    client.goto(f"{live_server_url}/sessions/{session.pk}/call/")

    _connected(client, counselor)
    _connected(counselor, client)
    expect(client.locator("#call-status")).to_have_attribute("data-state", "connected")
    expect(counselor.locator("#call-status")).to_have_attribute("data-state", "connected")
    for page in (client, counselor):  # media flow both ways: the bytes received grow
        before = page.evaluate(BYTES_RECEIVED)
        time.sleep(1.5)
        assert page.evaluate(BYTES_RECEIVED) > before > 0
    # The help button stays in reach during the call, on the phone too.
    expect(client.locator("button.help-now")).to_be_visible()
    expect(client.locator("#call-leave")).to_be_visible()
    client.locator("#call-mic").click()
    expect(client.locator("#call-mic")).to_have_attribute("aria-pressed", "true")
    assert client.evaluate("window.__call.stream.getAudioTracks()[0].enabled") is False
    screenshot(client, "call-client-phone")
    screenshot(counselor, "call-counselor-desktop")

    client.locator("#call-leave").click()
    expect(client.locator("#call-status")).to_have_attribute("data-state", "left")
    expect(counselor.locator("#call-status")).to_have_attribute("data-state", "peer_left")
    # The other page says so and offers the session chat (nothing to reconnect on this side).
    expect(counselor.locator("#call-failed")).to_be_visible()
    expect(counselor.locator("#call-failed a")).to_have_attribute("href", f"/sessions/{session.pk}/chat/")
    expect(counselor.locator("#call-reconnect")).to_be_hidden()
    screenshot(counselor, "call-counselor-peer-left")

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not CallEvent.objects.filter(session=session, kind="ended").exists():
        time.sleep(0.1)
    kinds = list(CallEvent.objects.filter(session=session).values_list("kind", flat=True))
    assert kinds[:2] == ["started", "connected"] and kinds[-1] == "ended", kinds
    ended = CallEvent.objects.get(session=session, kind="ended")
    assert ended.duration_seconds is not None and ended.duration_seconds >= 1
    assert ended.actor_id == client_a.pk
    session.refresh_from_db()
    assert session.state == "in_progress"  # a connected call puts the open session under way


def test_a_call_that_cannot_connect_says_so_and_offers_reconnect_and_the_chat(
    gates_open, live_server_url, media_browser, browser_login, screenshot, client_a, counselor_a
):
    with ThreadPoolExecutor(1) as pool:
        session = pool.submit(_video_session, client_a, counselor_a).result()
    phone = media_browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    client = browser_login(phone.new_page(), live_server_url, client_a)
    client.goto(f"{live_server_url}/sessions/{session.pk}/call/")
    expect(client.locator("#call-status")).to_have_attribute("data-state", "waiting")
    phone.set_offline(True)
    client.evaluate("window.__call.ws && window.__call.ws.close()")  # the network went: the socket with it
    expect(client.locator("#call-failed")).to_be_visible()
    expect(client.locator("#call-status")).to_have_attribute("data-state", "failed")
    expect(client.locator("#call-failed a")).to_have_attribute("href", f"/sessions/{session.pk}/chat/")
    screenshot(client, "call-client-phone-failed")
    phone.set_offline(False)
    client.locator("#call-reconnect").click()
    expect(client.locator("#call-status")).to_have_attribute("data-state", "waiting")
    expect(client.locator("#call-failed")).to_be_hidden()


def test_a_voice_call_sends_sound_only(
    gates_open, live_server_url, media_browser, browser_login, screenshot, client_a, counselor_a
):
    with ThreadPoolExecutor(1) as pool:
        session = pool.submit(_video_session, client_a, counselor_a, "voice").result()
    phone = media_browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    desk = media_browser.new_context(viewport={"width": 1280, "height": 900})
    client = browser_login(phone.new_page(), live_server_url, client_a)
    counselor = browser_login(desk.new_page(), live_server_url, counselor_a)
    for page in (client, counselor):
        page.goto(f"{live_server_url}/sessions/{session.pk}/call/")
    for page in (client, counselor):
        _connected(page, client if page is counselor else counselor)
        kinds = page.evaluate("window.__call.pc.getSenders().map((sender) => sender.track && sender.track.kind)")
        assert kinds == ["audio"]
        assert page.locator("video").count() == 0 and page.locator("#call-camera").count() == 0
        before = page.evaluate(BYTES_RECEIVED)
        time.sleep(1.5)
        assert page.evaluate(BYTES_RECEIVED) > before
    screenshot(client, "call-client-phone-voice")
    counselor.locator("#call-leave").click()
    expect(client.locator("#call-status")).to_have_attribute("data-state", "peer_left")
