"""Crisis reach with three browsers (issue 16): a client writes between sessions, her counselor does not answer, the
on-call counselor opens the emergency card, picks up the conversation and replies, and the client reads the reply
with who wrote it and why. Once from a risk phrase, once from a reply left overdue."""
# ruff: noqa: F811  (pytest fixtures imported from test_escalation_support are used as arguments)

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from counseling import clock
from counseling.models import CounselorProfile
from crisis.models import Escalation, EscalationKind, EscalationState, OnCallShift, Rung
from crisis.services import escalation_advance, overdue_replies_open
from identity.services import intake_submit
from licensing.models import Jurisdiction
from sessions.models import Message
from tests.conftest import make_counselor
from tests.counseling.test_escalation_support import eager_celery  # noqa: F401
from tests.security.conftest import INTAKE_ANSWERS
from tests.sessions.chat_helpers import open_session

pytestmark = pytest.mark.browser

REPLY = "Saya Dewi, konselor jaga. Apakah Anda aman sekarang?"


@pytest.fixture
def gates_open(monkeypatch):
    """Other features' gates, opened before the server process forks (it inherits the patch)."""
    from tests.sessions.chat_helpers import open_gates

    open_gates(monkeypatch)


def _set_up(client, counselor):
    intake_submit(client=client, answers=INTAKE_ANSWERS, emergency_contact_authorised=True, code_word="kupu-kupu")
    conversation, session = open_session(client, counselor)  # a confirmed location, as before a first session
    session.state = "completed"
    session.save()
    CounselorProfile.objects.filter(user=counselor).update(languages="en")
    Jurisdiction.objects.get_or_create(country="ID", region="ID-YO", defaults={"name": "DI Yogyakarta"})
    on_call = make_counselor("oncall@staff.test", "Dewi On Call")
    start = clock.now() - timedelta(hours=1)
    OnCallShift.objects.create(user=on_call, role="on_call", starts_at=start, ends_at=start + timedelta(days=7))
    return conversation, on_call


def in_thread(function, *args, **kwargs):
    # Out of Playwright's event-loop thread: writes that send real-time notices use async_to_sync.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(function, *args, **kwargs).result()


def _client_chat(browser, live_server_url, browser_login, client_a, conversation):
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = browser_login(phone.new_page(), live_server_url, client_a)  # client A reads Indonesian
    page.goto(f"{live_server_url}/sessions/chat/{conversation.pk}/")
    expect(page.locator("#chat-status")).to_have_attribute("data-state", "online")
    return phone, page


def _client_writes(page, text):
    page.get_by_label("Pesan Anda").fill(text)
    page.get_by_role("button", name="Kirim").click()
    expect(page.locator(".msg.mine").last).to_have_attribute("data-state", re.compile("sent|read"))


def _on_call_picks_up_and_replies(browser, live_server_url, browser_login, screenshot, on_call, escalation, name):
    desk = browser.new_context(viewport={"width": 1280, "height": 900})
    page = browser_login(desk.new_page(), live_server_url, on_call)
    page.goto(f"{live_server_url}/staff/risk/")
    page.locator(f"a[href='/staff/risk/{escalation.pk}/']").first.click()
    page.get_by_role("link", name="Open the emergency card").click()
    expect(page.get_by_role("heading", name="Emergency card: Client A")).to_be_visible()
    expect(page.locator("#answer-client")).to_contain_text("You read their last 50 messages")
    screenshot(page, f"cover-{name}-card")
    page.get_by_role("button", name="Pick up the conversation").click()
    page.wait_for_url("**/sessions/chat/**")
    expect(page.locator(".cover-notice").first).to_contain_text("You are answering for Counselor A until")
    expect(page.get_by_role("link", name="Back to the emergency card")).to_be_visible()
    expect(page.locator("#chat-status")).to_have_attribute("data-state", "online")
    expect(page.locator(".msg.theirs .msg-who").first).to_have_text("Client A")
    page.get_by_label("Your message").fill(REPLY)
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".msg.mine").last).to_have_attribute("data-state", re.compile("sent|read"))
    screenshot(page, f"cover-{name}-chat")
    return desk


def _client_reads_the_reply(page, screenshot, name):
    reply = page.locator(".msg.theirs").last
    expect(reply.locator(".msg-body")).to_have_text(REPLY, timeout=10000)
    expect(reply.locator(".msg-who")).to_have_text("Dewi On Call (konselor jaga)")
    expect(page.locator("#chat-cover")).to_contain_text("Dewi On Call, konselor jaga")
    screenshot(page, f"cover-{name}-client")


def test_from_a_risk_phrase_to_on_call_answering_the_client(
    eager_celery, gates_open, live_server_url, browser, browser_login, screenshot, client_a, counselor_a
):
    conversation, on_call = in_thread(_set_up, client_a, counselor_a)
    # Her counselor is signed in and hears the alert, but does not acknowledge it.
    counselor_desk = browser.new_context(viewport={"width": 1280, "height": 900})
    counselor = browser_login(counselor_desk.new_page(), live_server_url, counselor_a)
    counselor.goto(f"{live_server_url}/staff/risk/")
    expect(counselor.locator("html")).to_have_attribute("data-alerts-connected", "1", timeout=10000)

    phone, client = _client_chat(browser, live_server_url, browser_login, client_a, conversation)
    _client_writes(client, "saya ingin bunuh diri")
    expect(counselor.locator(".live-alert.escalation-alert")).to_contain_text("Risk phrase in a message", timeout=10000)
    escalation = Escalation.objects.get(client=client_a, kind=EscalationKind.RISK_PHRASE)

    # Nobody acknowledged in time: the ladder climbs to the on-call counselor.
    escalation.refresh_from_db()
    assert in_thread(escalation_advance, escalation_id=escalation.pk, at=escalation.next_step_at + timedelta(seconds=1))
    escalation.refresh_from_db()
    assert escalation.rung == Rung.ON_CALL

    desk = _on_call_picks_up_and_replies(
        browser, live_server_url, browser_login, screenshot, on_call, escalation, "risk"
    )
    _client_reads_the_reply(client, screenshot, "risk")
    escalation.refresh_from_db()
    assert escalation.state == EscalationState.ACKNOWLEDGED
    assert escalation.events.filter(kind="cover_picked_up", actor=on_call).exists()
    for context in (desk, phone, counselor_desk):
        context.close()


def test_from_an_overdue_reply_to_on_call_answering_the_client(
    eager_celery, gates_open, live_server_url, browser, browser_login, screenshot, client_a, counselor_a
):
    conversation, on_call = in_thread(_set_up, client_a, counselor_a)
    phone, client = _client_chat(browser, live_server_url, browser_login, client_a, conversation)
    _client_writes(client, "Apakah Anda sudah membaca pesan saya?")
    waiting = Message.objects.get(conversation=conversation, sender=client_a)
    # The promised time passes with no reply: the sweep opens the escalation on the on-call rung.
    assert in_thread(overdue_replies_open, at=waiting.reply_due_at + timedelta(minutes=1)) == 1
    escalation = Escalation.objects.get(message=waiting, kind=EscalationKind.REPLY_OVERDUE)

    desk = _on_call_picks_up_and_replies(
        browser, live_server_url, browser_login, screenshot, on_call, escalation, "overdue"
    )
    _client_reads_the_reply(client, screenshot, "overdue")
    expect(client.locator("#chat-cover")).to_contain_text("Dewi On Call")
    waiting.refresh_from_db()
    assert waiting.answered_at is not None and not waiting.awaiting_reply
    for context in (desk, phone):
        context.close()
