"""The chat pages: who sees them, what the counselor's session-start panel shows, break-glass."""

import re
from datetime import timedelta

import pytest
from django.utils import translation

from counseling.clock import now
from counseling.gates import GateResult
from counseling.models import AuditEntry
from sessions.chat.selectors import access_chat, chat_names, conversation_covers, cover_sentence, live_covers
from sessions.models import Conversation, ConversationCover, CoverReason, CoverRole
from tests.conftest import make_counselor

pytestmark = pytest.mark.django_db


def test_client_sees_the_session_chat_with_its_socket_path(chat, client, client_a):
    conversation, session = chat
    client.force_login(client_a)
    page = client.get(f"/sessions/{session.pk}/chat/").content.decode()
    assert f'data-ws-path="/ws/chat/{conversation.pk}/session/{session.pk}/"' in page
    assert "I need help now" in page and "Before you start" not in page
    assert "<script>" not in page  # CSP: no inline script


def test_counselor_sees_the_session_start_panel(chat, client, counselor_a, staff_login):
    _conversation, session = chat
    staff_login(client, counselor_a)
    page = client.get(f"/sessions/{session.pk}/chat/").content.decode()
    assert "Before you start" in page and "Client's confirmed location" in page
    assert "Ask for the code word" in page and "Local emergency numbers" in page
    assert "<strong>DI Yogyakarta (ID-YO), Indonesia</strong>" in page  # the province by its name, not its code
    assert AuditEntry.objects.filter(action="session.start_panel_viewed", actor_id=counselor_a.pk).exists()


def test_messages_between_sessions_show_the_response_time_promise(chat, client, client_a):
    conversation, _ = chat
    client.force_login(client_a)
    page = client.get(f"/sessions/chat/{conversation.pk}/").content.decode()
    assert "promises to reply within 24 hours" in page


def test_a_refused_gate_shows_its_message_instead_of_the_chat(chat, client, client_a, monkeypatch):
    _conversation, session = chat
    monkeypatch.setattr(
        "sessions.selectors.identity_gate",
        lambda **kw: GateResult.refuse("identity_unverified", "Verify your identity first.", "/x/"),
    )
    client.force_login(client_a)
    page = client.get(f"/sessions/{session.pk}/chat/").content.decode()
    assert "Verify your identity first." in page and 'id="chat"' not in page


def test_outsiders_get_404_for_the_chat_pages(chat, client, client_b, counselor_b, staff_login):
    conversation, session = chat
    client.force_login(client_b)
    assert client.get(f"/sessions/{session.pk}/chat/").status_code == 404
    assert client.get(f"/sessions/chat/{conversation.pk}/").status_code == 404
    staff_login(client, counselor_b)
    assert client.get(f"/sessions/{session.pk}/chat/").status_code == 404
    assert client.get(f"/sessions/chat/{conversation.pk}/").status_code == 404


def test_anonymous_is_sent_to_login(chat, client):
    conversation, session = chat
    assert client.get(f"/sessions/{session.pk}/chat/").status_code == 302
    assert client.get(f"/sessions/chat/{conversation.pk}/").status_code == 302


def test_chat_list_shows_my_conversations_only(chat, client, client_a, client_b):
    client.force_login(client_a)
    assert "Counselor A" in client.get("/sessions/chat/").content.decode()
    client.force_login(client_b)
    assert "Counselor A" not in client.get("/sessions/chat/").content.decode()


def test_admin_reads_a_conversation_only_after_a_logged_break_glass_reason(
    chat, client, admin_user, staff_login, django_capture_on_commit_callbacks
):
    conversation, _ = chat
    staff_login(client, admin_user)
    assert client.get(f"/sessions/chat/{conversation.pk}/").status_code == 404
    response = client.post(f"/sessions/chat/{conversation.pk}/break-glass/", {"reason": "short"})
    assert "at least 10 characters" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):  # the grant is given once the audit entry commits
        response = client.post(
            f"/sessions/chat/{conversation.pk}/break-glass/",
            {"reason": "Emergency: client at risk, counselor unreachable"},
        )
    assert response.status_code == 302
    page = client.get(f"/sessions/chat/{conversation.pk}/").content.decode()
    assert "Break-glass read-only view" in page and 'id="chat-form"' not in page
    assert AuditEntry.objects.filter(action="chat.break_glass", actor_id=admin_user.pk).exists()


def test_clients_and_counselors_cannot_break_glass(chat, client, client_a):
    conversation, _ = chat
    client.force_login(client_a)
    assert client.post(f"/sessions/chat/{conversation.pk}/break-glass/", {"reason": "x" * 20}).status_code == 403


def test_the_chat_page_reads_the_covers_once_and_shows_those_that_hold_now(
    chat, client, client_a, client_b, counselor_a, django_assert_num_queries
):
    """One read of the conversation's covers gives both the names over the messages (every cover who ever
    answered) and the notices of who answers now: only covers of this conversation, live at the time asked
    (not ended, started, not run out), the latest picked up first."""
    conversation = access_chat(user=client_a, conversation_id=chat[0].pk).conversation  # as the page reads it
    at = now()
    other = Conversation.objects.create(client=client_b, counselor=counselor_a)

    def cover(name, conversation=conversation, started=-10, ends=50, ended=None):
        return ConversationCover.objects.create(
            conversation=conversation,
            cover=make_counselor(f"{name}@staff.test", name),
            role=CoverRole.ON_CALL,
            reason=CoverReason.REPLY_OVERDUE,
            escalation_ref=1,
            card_path="/card/",
            from_seq=1,
            started_at=at + timedelta(minutes=started),
            ends_at=at + timedelta(minutes=ends),
            ended_at=None if ended is None else at + timedelta(minutes=ended),
        )

    earlier = cover("Earlier", started=-30, ends=30)
    latest = cover("Latest", started=-5, ends=60)
    ended = cover("Ended", ended=-1)
    ran_out = cover("RanOut", started=-180, ends=-120)
    not_yet = cover("NotYet", started=10, ends=70)
    cover("Elsewhere", conversation=other)
    with django_assert_num_queries(3):  # the covers, and their people's two profiles
        covers = conversation_covers(conversation=conversation)
    with django_assert_num_queries(0), translation.override("en"):
        names = chat_names(conversation=conversation, covers=covers)
        live = live_covers(covers=covers, at=at)
        sentences = [cover_sentence(cover=c, viewer=client_a) for c in live]
    assert [c.pk for c in covers] == [ran_out.pk, earlier.pk, ended.pk, latest.pk, not_yet.pk]
    assert all(c.conversation is conversation for c in covers)
    assert live == [latest, earlier]
    assert set(names) == {client_a.pk, counselor_a.pk} | {c.cover_id for c in covers}
    assert names[latest.cover_id] == "Latest (the on-call counselor)"
    assert sentences[0].startswith("Latest, the on-call counselor, is answering for Counselor A")
    # Whether a cover holds is decided at the time asked, not when the covers were read.
    assert live_covers(covers=covers, at=at + timedelta(minutes=45)) == [not_yet, latest]
    with translation.override("en"):
        assert chat_names(conversation=conversation) == names  # read on its own: the same names

    client.force_login(client_a)
    page = client.get(f"/sessions/chat/{conversation.pk}/").content.decode()
    notices = re.findall(r"data-cover-notice>([^<]*)<", page)
    assert len(notices) == 2 and "Latest" in notices[0] and "Earlier" in notices[1]
