# ruff: noqa: F811  (pytest fixtures imported from test_escalation_support are used as arguments)
"""Cover can pick up (issue 16, item 2): while an on-call counselor or supervisor holds an escalation's rung, they
may open the client's conversation, read its recent history and reply as themselves, for a bounded time, audited.
The client sees who answers and why; the reply marks the waiting messages answered. This keeps the consent text's
promise: "if a reply is late, an on-call counselor is told and picks it up"."""

import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import override_settings
from django.utils import translation

from consent.selectors import consent_version_in_force
from counseling import clock
from counseling.gates import GateResult
from counseling.models import AuditEntry
from crisis.models import Escalation, EscalationKind, EscalationState, OnCallShift, Rung
from crisis.selectors import access_emergency_card
from crisis.services import (
    cover_pickup,
    escalation_advance,
    escalation_resolve,
    help_request,
    identity_mismatch_open,
    overdue_replies_open,
)
from sessions.chat.selectors import access_chat, chat_gate, messages_after
from sessions.chat.services import message_post
from sessions.models import Conversation, ConversationCover, CoverReason, CoverRole, Message
from sessions.selectors import client_zone
from tests.conftest import make_counselor
from tests.counseling.test_escalation_support import eager_celery, make_session, pushed  # noqa: F401
from tests.sessions.chat_helpers import open_gates

pytestmark = pytest.mark.usefixtures("eager_celery", "pushed")


@pytest.fixture(autouse=True)
def staff_read_english():
    """Refusals are read by staff in the active language: English here (the site's default is Indonesian)."""
    with translation.override("en"):
        yield


@pytest.fixture
def gates(monkeypatch):
    open_gates(monkeypatch)


@pytest.fixture
def on_call(db):
    user = make_counselor("oncall@staff.test", "Dewi On Call")
    start = clock.now() - timedelta(hours=1)
    OnCallShift.objects.create(
        user=user, role=OnCallShift.Role.ON_CALL, starts_at=start, ends_at=start + timedelta(days=7)
    )
    return user


@pytest.fixture
def bystander(db):
    return make_counselor("other@staff.test", "Other Counselor")


@pytest.fixture
def conversation(client_a, counselor_a):
    """The pair's conversation, the client's place confirmed at their last session (Yogyakarta)."""
    session = make_session(client_a, counselor_a, region="ID-YO", at=clock.now() - timedelta(days=2))
    session.state = "completed"
    session.save()
    return Conversation.objects.create(client=client_a, counselor=counselor_a)


def client_writes(conversation, text):
    message, _created = message_post(
        conversation=conversation, sender=conversation.client, client_msg_id=uuid.uuid4(), body=text
    )
    return message


def overdue(conversation, text="Are you there? I have waited two days."):
    """A client's message left unanswered past the promised time: the sweep opens its escalation on the on-call
    rung. Returns (message, escalation)."""
    message = client_writes(conversation, text)
    assert overdue_replies_open(at=message.reply_due_at + timedelta(minutes=1)) == 1
    escalation = Escalation.objects.get(message=message)
    assert (escalation.kind, escalation.rung) == (EscalationKind.REPLY_OVERDUE, Rung.ON_CALL)
    return message, escalation


def pick_up(user, escalation):
    access = access_emergency_card(user=user, escalation_id=escalation.pk)
    return cover_pickup(user=user, escalation=access.escalation, basis=access.basis)


# --- The promise: a late reply is picked up by the on-call counselor -------------------------------------


@pytest.mark.parametrize(
    "language, promise",
    [
        ("en", "if a reply is late, an on-call counselor is told and picks it up"),
        ("id", "bila balasan terlambat, konselor jaga diberi tahu dan menindaklanjutinya"),
    ],
)
def test_the_published_consent_promises_that_on_call_picks_up_a_late_reply(db, language, promise):
    """The sentence the next tests make true, as the client reads it in the consent in force."""
    version = consent_version_in_force(language=language)
    assert promise in version.sections.get(key="response_times").body


def test_on_call_picks_up_an_overdue_reply_reads_it_and_answers_it(
    gates, conversation, on_call, pushed, django_capture_on_commit_callbacks
):
    waiting, escalation = overdue(conversation)
    with django_capture_on_commit_callbacks(execute=True):
        cover = pick_up(on_call, escalation)

    escalation.refresh_from_db()
    assert escalation.state == EscalationState.ACKNOWLEDGED  # picking up takes it: the ladder stops
    assert (cover.role, cover.reason, cover.escalation_ref) == (
        CoverRole.ON_CALL,
        CoverReason.REPLY_OVERDUE,
        escalation.pk,
    )
    access = access_chat(user=on_call, conversation_id=conversation.pk)
    assert access.cover == cover and not access.read_only and chat_gate(access=access)
    assert [m["body"] for m in messages_after(conversation=conversation, after_seq=0, from_seq=access.from_seq)] == [
        "Are you there? I have waited two days."
    ]

    reply, created = message_post(
        conversation=conversation, sender=on_call, client_msg_id=uuid.uuid4(), body="I'm here."
    )
    assert created and reply.sender == on_call
    waiting.refresh_from_db()
    assert waiting.answered_at == reply.created_at and not waiting.awaiting_reply
    # Audited as an emergency access with the escalation as its reason; the client's pages are told who answers.
    entry = AuditEntry.objects.get(action="chat.cover_picked_up", target_id=str(conversation.pk))
    assert (entry.actor_id, entry.subject_id, entry.detail["escalation"]) == (
        on_call.pk,
        conversation.client_id,
        escalation.pk,
    )
    notice = next(payload for user_id, payload in pushed if payload["type"] == "conversation.cover")
    assert notice["body"].startswith("Dewi On Call, konselor jaga, menjawab untuk Counselor A sampai pukul ")  # hers
    assert notice["body"].endswith("karena pesan Anda menunggu lebih lama daripada yang dijanjikan konselor Anda.")


def test_the_client_reads_who_answers_and_why_on_their_chat_page(gates, client, conversation, on_call, client_a):
    _waiting, escalation = overdue(conversation)
    cover = pick_up(on_call, escalation)
    message_post(conversation=conversation, sender=on_call, client_msg_id=uuid.uuid4(), body="I'm here.")
    client.force_login(client_a)
    page = client.get(f"/sessions/chat/{conversation.pk}/").content.decode()
    until = cover.ends_at.astimezone(client_zone(client_a)).strftime("%H:%M")
    assert (
        f"Dewi On Call, the on-call counselor, is answering for {conversation.counselor.display_name} until {until}, "
        "because your message waited longer than your counselor promised."
    ) in page
    assert "Dewi On Call (the on-call counselor)" in page  # the name over the cover's messages


def test_the_client_reads_it_in_indonesian(gates, client, conversation, on_call, client_a):
    client_a.client_profile.preferred_language = "id"
    client_a.client_profile.save()
    _waiting, escalation = overdue(conversation)
    pick_up(on_call, escalation)
    client.force_login(client_a)
    client.cookies["django_language"] = "id"
    page = client.get(f"/sessions/chat/{conversation.pk}/").content.decode()
    assert "konselor jaga" in page and "menjawab untuk" in page


def test_a_risk_phrase_climbs_to_on_call_who_picks_up(gates, conversation, on_call, counselor_a):
    message = client_writes(conversation, "saya ingin bunuh diri")
    escalation = Escalation.objects.get(message=message, kind=EscalationKind.RISK_PHRASE)
    with pytest.raises(Http404):  # not yet on-call's: the client's counselor holds the first rung
        pick_up(on_call, escalation)
    escalation.refresh_from_db()
    assert escalation_advance(escalation_id=escalation.pk, at=escalation.next_step_at + timedelta(seconds=1))
    cover = pick_up(on_call, escalation)
    assert cover.reason == CoverReason.RISK
    assert access_chat(user=on_call, conversation_id=conversation.pk).cover == cover


# --- Bounded: recent history only, for a time, until the escalation is resolved --------------------------


@override_settings(COVER_HISTORY_MESSAGES=5)
def test_a_cover_reads_only_the_recent_history(gates, conversation, on_call):
    for number in range(1, 9):
        client_writes(conversation, f"message {number}")
    message_post(conversation=conversation, sender=conversation.counselor, client_msg_id=uuid.uuid4(), body="reply")
    _waiting, escalation = overdue(conversation, "message 9")
    pick_up(on_call, escalation)
    access = access_chat(user=on_call, conversation_id=conversation.pk)
    bodies = [m["body"] for m in messages_after(conversation=conversation, after_seq=0, from_seq=access.from_seq)]
    assert bodies == ["message 6", "message 7", "message 8", "reply", "message 9"]


def test_the_cover_runs_out_and_resolving_the_escalation_ends_it(gates, conversation, on_call, counselor_a):
    _waiting, escalation = overdue(conversation)
    cover = pick_up(on_call, escalation)
    assert cover.ends_at == cover.started_at + timedelta(minutes=60)

    ConversationCover.objects.filter(pk=cover.pk).update(
        started_at=clock.now() - timedelta(minutes=61), ends_at=clock.now() - timedelta(seconds=1)
    )
    with pytest.raises(Http404):
        access_chat(user=on_call, conversation_id=conversation.pk)
    renewed = pick_up(on_call, escalation)  # still holding the escalation: pick up again
    assert access_chat(user=on_call, conversation_id=conversation.pk).cover == renewed

    assert escalation_resolve(escalation=escalation, user=on_call, note="Answered; client safe.")
    renewed.refresh_from_db()
    assert renewed.ended_at is not None
    with pytest.raises(Http404):
        access_chat(user=on_call, conversation_id=conversation.pk)


def test_picking_up_again_renews_and_never_shortens(gates, conversation, on_call):
    _waiting, escalation = overdue(conversation)
    first = pick_up(on_call, escalation)
    later = clock.now() + timedelta(minutes=30)
    again = cover_pickup(user=on_call, escalation=escalation, basis="acknowledged", at=later)
    assert again.pk == first.pk and again.ends_at == later + timedelta(minutes=60)
    assert ConversationCover.objects.count() == 1


def test_a_cover_does_not_join_a_session_chat(gates, conversation, on_call, client_a, counselor_a):
    session = make_session(client_a, counselor_a)
    _waiting, escalation = overdue(conversation)
    pick_up(on_call, escalation)
    with pytest.raises(Http404):
        access_chat(user=on_call, conversation_id=conversation.pk, session_id=session.pk)


def test_a_cover_without_a_licence_where_the_client_is_is_sent_back_to_the_card(
    gates, monkeypatch, conversation, on_call
):
    _waiting, escalation = overdue(conversation)
    cover = pick_up(on_call, escalation)

    def jurisdiction(*, counselor, **_kw):
        if counselor.pk == on_call.pk:
            return GateResult.refuse("no_licence", "You hold no verified licence for Yogyakarta.")
        return GateResult.ok()

    monkeypatch.setattr("sessions.selectors.jurisdiction_gate", jurisdiction)
    gate = chat_gate(access=access_chat(user=on_call, conversation_id=conversation.pk))
    assert not gate and gate.reason == "no_licence"
    assert "You hold no verified licence for Yogyakarta." in gate.message and "emergency card" in gate.message
    assert gate.action_url == cover.card_path == f"/staff/risk/{escalation.pk}/card/"


# --- Who may not ------------------------------------------------------------------------------------------


def test_nobody_without_the_rung_may_pick_up(gates, conversation, on_call, bystander, client_a, admin_user):
    _waiting, escalation = overdue(conversation)
    for outsider in (bystander, client_a):
        with pytest.raises(Http404):
            pick_up(outsider, escalation)
    with pytest.raises(Http404):
        access_chat(user=bystander, conversation_id=conversation.pk)
    # An admin may hold the card for an empty rung, but answers as nobody's counselor: refused with why.
    with pytest.raises(PermissionDenied, match="Only a counselor who holds this escalation"):
        cover_pickup(user=admin_user, escalation=escalation, basis="admin")
    assert not ConversationCover.objects.exists()


def test_the_clients_own_counselor_is_told_to_open_the_conversation(gates, conversation, counselor_a):
    escalation, _created = help_request(client=conversation.client)
    with pytest.raises(PermissionDenied, match="your own client"):
        pick_up(counselor_a, escalation)


def test_an_identity_escalation_is_not_picked_up_by_cover(gates, conversation, client_a, counselor_a, on_call):
    session = make_session(client_a, counselor_a)
    escalation = identity_mismatch_open(session_id=session.pk)
    escalation.refresh_from_db()
    with pytest.raises(PermissionDenied, match="client's own counselor"):
        cover_pickup(user=on_call, escalation=escalation, basis="acknowledged")


# --- Pages: the card's button, the chat page, and who gets a 404 -----------------------------------------


def test_the_card_offers_the_pickup_and_the_button_opens_the_conversation(
    gates, client, staff_login, conversation, on_call, bystander
):
    waiting, escalation = overdue(conversation)
    staff_login(client, on_call)
    card = client.get(f"/staff/risk/{escalation.pk}/card/").content.decode()
    assert 'id="pick-up"' in card and "Pick up the conversation" in card
    response = client.post(f"/staff/risk/{escalation.pk}/pick-up/")
    assert response.status_code == 302 and response["Location"] == f"/sessions/chat/{conversation.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "You are answering for" in page and f"/staff/risk/{escalation.pk}/card/" in page
    assert client.get(f"/staff/risk/{escalation.pk}/card/").content.decode().count("Open the conversation") == 1

    client.logout()
    staff_login(client, bystander)
    assert client.post(f"/staff/risk/{escalation.pk}/pick-up/").status_code == 404
    assert client.get(f"/sessions/chat/{conversation.pk}/").status_code == 404
    assert Message.objects.filter(conversation=conversation).count() == 1 and waiting.answered_at is None


def test_the_pickup_is_post_only(gates, client, staff_login, conversation, on_call):
    _waiting, escalation = overdue(conversation)
    staff_login(client, on_call)
    assert client.get(f"/staff/risk/{escalation.pk}/pick-up/").status_code == 405
    assert not ConversationCover.objects.exists()
