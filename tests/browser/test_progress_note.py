"""Browser: a counselor finds an unsigned note on their dashboard, writes it in the SOAP structure, signs it and adds
an addendum; the supervisor co-signs it; the client asks for her record and reads what was released."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import expect

from clinical.models.notes import ProgressNote
from clinical.notes import supervision_assign
from clinical.record_access import record_request_create
from tests.clinical.conftest import held_session

pytestmark = pytest.mark.browser


def in_thread(function, *args, **kwargs):
    # Out of Playwright's event-loop thread: Django's ORM refuses to run inside it.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(function, *args, **kwargs).result()


def test_a_counselor_writes_and_signs_a_note_and_the_supervisor_co_signs(
    browser, live_server_url, screenshot, browser_login, client_a, counselor_a, counselor_b, admin_user
):
    supervision_assign(supervisee=counselor_a, supervisor=counselor_b, in_training=True, assigned_by=admin_user)
    session = held_session(client_a, counselor_a, ended_hours_ago=3)
    desk = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = browser_login(desk.new_page(), live_server_url, counselor_a)
    page.goto(f"{live_server_url}/counselor/")
    panel = page.locator(".notes-due")
    expect(panel).to_contain_text("Progress notes to sign")
    expect(panel).to_contain_text("Client A")
    screenshot(page, "progress-note-dashboard")
    panel.get_by_role("link").first.click()
    expect(page.get_by_role("heading", name="Progress note: session with Client A")).to_be_visible()
    page.get_by_label("Subjective: what the client reports").fill("Sleeps four hours; worried about work.")
    page.get_by_label("Objective: what the counselor observed").fill("Tired, calm, on time.")
    page.get_by_label("Assessment").fill("Low mood, no risk named.")
    page.get_by_label("Plan").fill("Sleep diary for two weeks.")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    expect(page.get_by_label("Plan")).to_have_value("Sleep diary for two weeks.")
    screenshot(page, "progress-note-draft")
    page.get_by_role("button", name="Sign the note").click()
    expect(page.get_by_text("Note signed. It is locked now; later changes are addenda.")).to_be_visible()
    expect(page.locator(".note-status")).to_contain_text("Waiting for the supervisor's co-signature")
    expect(page.get_by_role("button", name="Save draft")).to_have_count(0)
    page.get_by_label("Addendum").fill("She phoned the next day: slept six hours.")
    page.get_by_role("button", name="Add the addendum").click()
    expect(page.locator(".addendum")).to_contain_text("slept six hours")
    expect(page.locator(".addendum")).to_contain_text("Counselor A")
    screenshot(page, "progress-note-signed")
    note = in_thread(lambda: ProgressNote.objects.get(session=session))
    assert note.is_signed and not note.is_complete

    supervisor = browser_login(
        browser.new_context(viewport={"width": 1280, "height": 900}).new_page(), live_server_url, counselor_b
    )
    supervisor.goto(f"{live_server_url}/clinical/supervision/")
    expect(supervisor.get_by_role("heading", name="Notes waiting for your co-signature")).to_be_visible()
    screenshot(supervisor, "progress-note-supervision")
    supervisor.locator(f"a[href='/clinical/sessions/{session.pk}/note/']").click()
    expect(supervisor.get_by_text("Sleeps four hours; worried about work.")).to_be_visible()
    supervisor.get_by_role("button", name="Co-sign the note").click()
    expect(supervisor.locator(".note-status")).to_contain_text("Co-signed")
    screenshot(supervisor, "progress-note-cosigned")
    assert in_thread(lambda: ProgressNote.objects.get(session=session).is_complete)
    supervisor.get_by_role("link", name="Back to supervision").click()
    supervisor.get_by_role("link", name="Counselor A").click()
    expect(supervisor.get_by_role("heading", name="Caseload of Counselor A")).to_be_visible()
    expect(supervisor.locator("table.caseload")).to_contain_text("Client A")
    screenshot(supervisor, "progress-note-supervisee-caseload")

    admin = browser_login(
        browser.new_context(viewport={"width": 1280, "height": 900}).new_page(), live_server_url, admin_user
    )
    admin.goto(f"{live_server_url}/clinical/supervision/manage/")
    expect(admin.locator("table")).to_contain_text("Counselor B")
    screenshot(admin, "progress-note-supervision-manage")


def test_a_client_asks_for_her_record_and_reads_what_was_released(
    browser, live_server_url, screenshot, browser_login, client_a, counselor_a
):
    from tests.clinical.conftest import signed_note

    first = signed_note(held_session(client_a, counselor_a, ended_hours_ago=80), sections={"plan": "Released plan"})
    second = signed_note(held_session(client_a, counselor_a, ended_hours_ago=30), sections={"plan": "Held back"})
    row = record_request_create(client=client_a, counselor_id=counselor_a.pk)

    desk = browser_login(
        browser.new_context(viewport={"width": 1280, "height": 1000}).new_page(), live_server_url, counselor_a
    )
    desk.goto(f"{live_server_url}/clinical/record/requests/{row.pk}/")
    expect(desk.get_by_text("Released plan")).to_be_visible()
    desk.locator(f"#withhold_{second.pk}").check()
    desk.locator(f"#reason_{second.pk}").fill("Reading this now would likely cause a severe relapse.")
    screenshot(desk, "record-request-answer")
    desk.get_by_role("button", name="Answer the request").click()
    expect(desk.get_by_text("Your answer was recorded and the client was told.")).to_be_visible()

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="en")
    page = browser_login(phone.new_page(), live_server_url, client_a)
    page.goto(f"{live_server_url}/clinical/record/")
    expect(page.locator(".progress-note")).to_contain_text("Released plan")
    expect(page.locator("body")).not_to_contain_text("Held back")
    expect(page.locator("body")).not_to_contain_text("relapse")
    screenshot(page, "client-record")
    assert first.pk != second.pk
