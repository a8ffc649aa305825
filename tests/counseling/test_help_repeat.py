"""The help button pressed again while the client's alert is live: it reaches a person.

A repeated press alerts whoever holds the escalation's current rung (and the client's own counselor) at
once, through the same outbox as the first alert; an acknowledged escalation reopens; a flood of presses
writes one alert per person per ESCALATION_REPEAT_ALERT_SECONDS and a bounded number of rows.
"""
# ruff: noqa: F811  (pytest fixtures imported from test_escalation_support are used as arguments)

from datetime import timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from counseling import clock
from counseling.models import AuditEntry
from crisis.models import Escalation, EscalationAlert, EscalationState, OnCallShift, Rung
from crisis.services import (
    escalation_acknowledge,
    escalation_deliver,
    escalation_resolve,
    escalation_sweep,
    help_request,
)
from sessions.signals import client_help_requested
from tests.conftest import make_counselor
from tests.counseling.test_escalation_support import eager_celery, make_session, pushed  # noqa: F401

pytestmark = pytest.mark.usefixtures("eager_celery")

# The card in the counselor's language, the same as the e-mail: these counselors' first language is
# Indonesian (the profile's default languages id,en) and none chose another (counseling.mail.language_of).
REPEAT_TITLE = "Tombol bantuan ditekan lagi oleh Client A"


def alerts_to(pushed, user):
    return [payload for user_id, payload in pushed if user_id == user.pk and payload["type"] == "escalation.alert"]


def repeats_to(pushed, user):
    return [payload for payload in alerts_to(pushed, user) if payload.get("press")]


def mails_to(user):
    return [m for m in mail.outbox if user.email in m.to]


@pytest.fixture
def on_call(db):
    return make_counselor("oncall@staff.test", "On Call")


@pytest.fixture
def supervisor(db):
    return make_counselor("supervisor@staff.test", "Supervisor")


@pytest.fixture
def roster(on_call, supervisor):
    start = clock.now() - timedelta(hours=1)
    OnCallShift.objects.create(user=on_call, role="on_call", starts_at=start, ends_at=start + timedelta(days=1))
    OnCallShift.objects.create(user=supervisor, role="supervisor", starts_at=start, ends_at=start + timedelta(days=1))


def press(client, *, at, session=None) -> Escalation:
    """One press, with its on-commit work (delivery) done as in production."""
    escalation, _created = help_request(client=client, session=session, at=at)
    escalation_deliver(escalation_id=escalation.pk, at=at)
    escalation.refresh_from_db()
    return escalation


def test_a_second_press_while_the_alert_is_open_alerts_the_counselor_again_in_the_browser_and_by_email(
    client_a, counselor_a, pushed, settings
):
    settings.SITE_URL = "http://konseling.test"
    t0 = clock.now()
    make_session(client_a, counselor_a, at=t0)
    escalation = press(client_a, at=t0)
    press(client_a, at=t0 + timedelta(seconds=5))

    first, again = alerts_to(pushed, counselor_a)
    assert "press" not in first
    assert again["press"] == 1 and again["title"] == REPEAT_TITLE
    assert again["url"] == f"/staff/risk/{escalation.pk}/" and again["link"] == "Buka peringatan"
    email = mails_to(counselor_a)[-1]
    assert len(mails_to(counselor_a)) == 2
    assert "Tombol bantuan ditekan lagi" in email.subject  # the counselor's first language (id,en)
    assert f"http://konseling.test/staff/risk/{escalation.pk}/" in email.body
    assert "Client A" not in email.subject + email.body  # e-mails hold no client data
    assert EscalationAlert.objects.filter(escalation=escalation, recipient=counselor_a).count() == 2
    assert all(alert.delivered for alert in EscalationAlert.objects.filter(escalation=escalation))


def test_a_second_press_after_the_ladder_climbed_reaches_the_on_call_counselor_and_the_counselor(
    client_a, counselor_a, roster, on_call, supervisor, pushed
):
    t0 = clock.now()
    make_session(client_a, counselor_a, at=t0)
    escalation = press(client_a, at=t0)
    escalation_sweep(at=t0 + timedelta(minutes=5))
    escalation.refresh_from_db()
    assert escalation.rung == Rung.ON_CALL and len(alerts_to(pushed, on_call)) == 1

    press(client_a, at=t0 + timedelta(minutes=6))
    assert [p["title"] for p in repeats_to(pushed, on_call)] == [REPEAT_TITLE]
    assert [p["title"] for p in repeats_to(pushed, counselor_a)] == [REPEAT_TITLE]
    assert repeats_to(pushed, supervisor) == []
    assert len(mails_to(on_call)) == 2
    event = escalation.events.get(kind="help_pressed_again")
    assert event.rung == Rung.ON_CALL and event.actor == client_a


def test_a_press_after_the_acknowledgement_reopens_the_escalation_and_alerts_again(
    client_a, counselor_a, roster, on_call, pushed
):
    t0 = clock.now()
    make_session(client_a, counselor_a, at=t0)
    escalation = press(client_a, at=t0)
    assert escalation_acknowledge(
        escalation=escalation, user=counselor_a, note="Calling her now.", at=t0 + timedelta(minutes=1)
    )

    t1 = t0 + timedelta(minutes=3)
    escalation = press(client_a, at=t1)
    assert escalation.state == EscalationState.OPEN and escalation.acknowledged_at is None
    assert escalation.rung == Rung.COUNSELOR and escalation.next_step_at == t1 + timedelta(minutes=5)
    assert [p["title"] for p in repeats_to(pushed, counselor_a)] == [REPEAT_TITLE]
    assert escalation.events.filter(kind="reopened", actor=client_a).count() == 1
    assert AuditEntry.objects.filter(action="escalation.reopened", target_id=str(escalation.pk)).count() == 1

    # The ladder runs again from the current rung, on a fresh timer.
    assert escalation_sweep(at=t1 + timedelta(minutes=4))["advanced"] == 0
    escalation_sweep(at=t1 + timedelta(minutes=5))
    escalation.refresh_from_db()
    assert escalation.rung == Rung.ON_CALL and len(alerts_to(pushed, on_call)) == 1


def test_a_press_after_the_acknowledgement_reaches_a_person_even_inside_the_window(client_a, counselor_a, pushed):
    t0 = clock.now()
    make_session(client_a, counselor_a, at=t0)
    escalation = press(client_a, at=t0)
    press(client_a, at=t0 + timedelta(seconds=1))  # a repeat alert: the window starts
    escalation_acknowledge(escalation=escalation, user=counselor_a, note="On it.", at=t0 + timedelta(seconds=5))
    escalation = press(client_a, at=t0 + timedelta(seconds=10))
    assert escalation.state == EscalationState.OPEN
    assert len(repeats_to(pushed, counselor_a)) == 2


def test_fifty_presses_within_the_window_send_one_extra_alert_per_person_and_write_few_rows(
    client_a, counselor_a, roster, on_call, pushed
):
    t0 = clock.now()
    make_session(client_a, counselor_a, at=t0)
    escalation = press(client_a, at=t0)
    escalation_sweep(at=t0 + timedelta(minutes=5))  # on-call holds the rung now
    rows_before = (EscalationAlert.objects.count(), escalation.events.count(), AuditEntry.objects.count())

    start = t0 + timedelta(minutes=5, seconds=10)
    for n in range(50):
        press(client_a, at=start + timedelta(seconds=n * 0.5))  # 50 presses in 25 seconds

    escalation.refresh_from_db()
    assert escalation.presses_again == 50  # every press is counted
    assert len(repeats_to(pushed, counselor_a)) == 1 and len(repeats_to(pushed, on_call)) == 1
    assert EscalationAlert.objects.count() - rows_before[0] == 2
    assert escalation.events.count() - rows_before[1] == 1
    assert AuditEntry.objects.count() - rows_before[2] == 1
    assert len(mails_to(counselor_a)) == 2 and len(mails_to(on_call)) == 2


def test_a_press_after_the_window_alerts_again(client_a, counselor_a, pushed, settings):
    t0 = clock.now()
    make_session(client_a, counselor_a, at=t0)
    escalation = press(client_a, at=t0)
    press(client_a, at=t0 + timedelta(seconds=1))
    press(client_a, at=t0 + timedelta(seconds=30))  # inside the window of the repeat at 1 s
    assert len(repeats_to(pushed, counselor_a)) == 1
    press(client_a, at=t0 + timedelta(seconds=31))
    assert [p["press"] for p in repeats_to(pushed, counselor_a)] == [1, 2]
    assert escalation.events.filter(kind="help_pressed_again").count() == 2


def test_the_repeat_window_is_a_setting(client_a, counselor_a, pushed, settings):
    settings.ESCALATION_REPEAT_ALERT_SECONDS = 120
    t0 = clock.now()
    make_session(client_a, counselor_a, at=t0)
    press(client_a, at=t0)
    press(client_a, at=t0 + timedelta(seconds=1))
    press(client_a, at=t0 + timedelta(seconds=61))
    assert len(repeats_to(pushed, counselor_a)) == 1
    press(client_a, at=t0 + timedelta(seconds=121))
    assert len(repeats_to(pushed, counselor_a)) == 2


def test_a_press_that_lost_the_claim_alerts_nobody_and_a_round_is_one_row_per_person(client_a, counselor_a, pushed):
    t0 = clock.now()
    make_session(client_a, counselor_a, at=t0)
    escalation = press(client_a, at=t0)
    # Two presses at the same instant (two tabs): the conditional update lets one of them alert.
    press(client_a, at=t0 + timedelta(seconds=2))
    press(client_a, at=t0 + timedelta(seconds=2))
    assert len(repeats_to(pushed, counselor_a)) == 1
    alert = EscalationAlert.objects.get(escalation=escalation, press=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        EscalationAlert.objects.create(escalation=escalation, rung=alert.rung, recipient=counselor_a, press=1)


def test_the_client_is_told_again_with_the_numbers_at_every_press(
    client_a, counselor_a, pushed, django_capture_on_commit_callbacks
):
    t0 = clock.now()
    make_session(client_a, counselor_a, country="ID", at=t0)
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            help_request(client=client_a, at=t0 + timedelta(seconds=n))
    told = [payload for user_id, payload in pushed if user_id == client_a.pk]
    assert [p["type"] for p in told] == ["escalation.client"] * 3
    assert all("112" in " ".join(item["number"] for item in p["numbers"]) for p in told)


def test_a_press_through_the_chat_reaches_the_counselor_again(
    client_a, counselor_a, pushed, django_capture_on_commit_callbacks
):
    from sessions.chat.services import chat_help_request
    from sessions.models import Conversation

    conversation = Conversation.objects.create(client=client_a, counselor=counselor_a)
    with django_capture_on_commit_callbacks(execute=True):
        chat_help_request(client=client_a, conversation=conversation)
    with django_capture_on_commit_callbacks(execute=True):
        chat_help_request(client=client_a, conversation=conversation)
    assert [p["title"] for p in repeats_to(pushed, counselor_a)] == [REPEAT_TITLE]


def test_a_press_after_the_escalation_was_resolved_opens_a_new_one_and_leaves_the_old_one_closed(
    client_a, counselor_a, pushed, django_capture_on_commit_callbacks
):
    make_session(client_a, counselor_a)
    with django_capture_on_commit_callbacks(execute=True):
        client_help_requested.send(sender=None, client_id=client_a.pk)
    first = Escalation.objects.get()
    assert escalation_resolve(escalation=first, user=counselor_a, note="Safe at home.")
    with django_capture_on_commit_callbacks(execute=True):
        client_help_requested.send(sender=None, client_id=client_a.pk)
    second = Escalation.objects.exclude(pk=first.pk).get()
    first.refresh_from_db()
    assert first.state == EscalationState.RESOLVED and first.presses_again == 0
    assert second.state == EscalationState.OPEN
    assert [p["id"] for p in alerts_to(pushed, counselor_a)] == [first.pk, second.pk]
    assert repeats_to(pushed, counselor_a) == []


def test_the_repeated_alert_goes_to_nobody_else_and_outsiders_cannot_open_the_escalation(
    client, staff_login, client_a, client_b, counselor_a, counselor_b, pushed
):
    t0 = clock.now()
    make_session(client_a, counselor_a, at=t0)
    escalation = press(client_a, at=t0)
    press(client_a, at=t0 + timedelta(seconds=3))
    assert alerts_to(pushed, counselor_b) == [] and mails_to(counselor_b) == []
    assert {user_id for user_id, payload in pushed if payload["type"] == "escalation.alert"} == {counselor_a.pk}
    assert not [payload for user_id, payload in pushed if user_id == client_b.pk]

    staff_login(client, counselor_b)
    assert client.get(f"/staff/risk/{escalation.pk}/").status_code == 404
    client.force_login(client_b)
    assert client.get(f"/staff/risk/{escalation.pk}/").status_code in (302, 403, 404)
    # client_b pressing help opens their own escalation; it never touches client_a's.
    help_request(client=client_b, at=t0 + timedelta(seconds=4))
    escalation.refresh_from_db()
    assert escalation.presses_again == 1


def test_the_escalation_page_shows_the_repeated_presses(client, staff_login, client_a, counselor_a, pushed):
    t0 = clock.now()
    make_session(client_a, counselor_a, at=t0)
    escalation = press(client_a, at=t0)
    for n in range(1, 4):
        press(client_a, at=t0 + timedelta(seconds=n))
    staff_login(client, counselor_a)
    page = client.get(f"/staff/risk/{escalation.pk}/").content.decode()
    assert "Times the help button was pressed again" in page and "<dd>3</dd>" in page
    assert page.count("Help button pressed again") >= 1


def test_a_press_on_an_escalation_resolved_meanwhile_alerts_nobody_on_it(client_a, counselor_a, pushed):
    from crisis.services import help_pressed_again

    make_session(client_a, counselor_a)
    escalation, _ = help_request(client=client_a)
    stale = Escalation.objects.get(pk=escalation.pk)
    escalation_resolve(escalation=escalation, user=counselor_a, note="Safe at home.")
    assert help_pressed_again(escalation=stale) is False
    stale.refresh_from_db()
    assert (stale.presses_again, stale.repeat_alerts) == (0, 0)
    assert not EscalationAlert.objects.filter(press__gt=0).exists()
