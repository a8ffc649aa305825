"""Withdrawal: future sessions cancelled with notice to the counselor, chat closed, records kept."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail

from consent.models import ConsentAcceptance
from consent.selectors import consent_gate
from consent.services import consent_withdraw
from counseling.models import AuditEntry
from tests.conftest import PASSWORD
from tests.consent.conftest import accept_current, make_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent_events(monkeypatch):
    """Capture real-time sends made on commit (counselor notices and chat-close events)."""
    events = []
    monkeypatch.setattr(
        "sessions.chat.events.conversation_event_on_commit",
        lambda *, conversation_id, event: events.append(("chat", conversation_id, event)),
    )
    monkeypatch.setattr(
        "counseling.notifications.notify_user_now",
        lambda *, user_id, payload: events.append(("notify", user_id, payload)),
    )
    return events


def test_withdrawal_cancels_future_sessions_notifies_the_counselor_and_closes_chat(
    client_a, counselor_a, counselor_b, sent_events, django_capture_on_commit_callbacks
):
    from sessions.models import Conversation

    accept_current(client_a, counselor=counselor_a)
    future = make_session(client_a, counselor_a, starts_in=timedelta(days=3))
    opened = make_session(client_a, counselor_b, starts_in=timedelta(minutes=5), state="open")
    past = make_session(client_a, counselor_a, starts_in=-timedelta(days=3), state="completed")
    conversation = Conversation.objects.create(client=client_a, counselor=counselor_a)

    with django_capture_on_commit_callbacks(execute=True):
        cancelled = consent_withdraw(client=client_a)

    assert cancelled == 2
    for session in (future, opened):
        session.refresh_from_db()
        assert session.state == "cancelled" and session.cancel_reason == "consent_withdrawn"
    past.refresh_from_db()
    assert past.state == "completed"
    assert ("chat", conversation.pk, {"type": "chat.recheck", "reason": "consent_withdrawn"}) in sent_events
    notified = {user_id for kind, user_id, _payload in sent_events if kind == "notify"}
    assert notified == {counselor_a.pk, counselor_b.pk}
    assert sorted(message.to[0] for message in mail.outbox) == sorted([counselor_a.email, counselor_b.email])
    assert all("Client A" in message.body or "Client A" in message.subject for message in mail.outbox)
    assert AuditEntry.objects.filter(action="session.cancelled", subject_id=client_a.pk).count() == 2
    assert AuditEntry.objects.filter(action="consent.withdrawn", subject_id=client_a.pk).count() == 1


def test_withdrawal_keeps_the_consent_records(client_a, counselor_a):
    acceptance = accept_current(client_a, counselor=counselor_a)
    consent_withdraw(client=client_a)
    acceptance.refresh_from_db()
    assert acceptance.withdrawn_at is not None
    assert acceptance.rendered_text and len(acceptance.text_sha256) == 64
    assert ConsentAcceptance.objects.filter(client=client_a).count() == 1
    assert not consent_gate(client=client_a, counselor=counselor_a)


def test_withdrawal_does_not_touch_another_clients_sessions(client_a, client_b, counselor_a):
    accept_current(client_a)
    accept_current(client_b, language="en")
    theirs = make_session(client_b, counselor_a)
    consent_withdraw(client=client_a)
    theirs.refresh_from_db()
    assert theirs.state == "scheduled"
    assert consent_gate(client=client_b)


def test_the_withdrawal_page_tells_the_client_that_records_are_kept(client, client_a):
    client.login(email=client_a.email, password=PASSWORD)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"
    accept_current(client_a)
    page = client.get("/consent/withdraw/").content.decode()
    assert "tidak dihapus sekarang" in page and "7 tahun" in page
    response = client.post("/consent/withdraw/", follow=True)
    text = response.content.decode()
    assert "Persetujuan Anda telah ditarik" in text and "masa retensi" in text
    assert not consent_gate(client=client_a)
