"""Transcript exports: a client's own (right of access), a counselor's of a session; audit-logged; outsiders get 404."""

import uuid

import pytest

from counseling.models import AuditEntry
from sessions.chat.services import message_post
from tests.sessions.chat_helpers import open_gates, open_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def chat(client_a, counselor_a, monkeypatch):
    open_gates(monkeypatch)
    conversation, session = open_session(client_a, counselor_a)
    message_post(
        conversation=conversation, sender=client_a, client_msg_id=uuid.uuid4(), body="Saya sulit tidur", session=session
    )
    message_post(
        conversation=conversation, sender=counselor_a, client_msg_id=uuid.uuid4(), body="Sejak kapan?", session=session
    )
    message_post(conversation=conversation, sender=client_a, client_msg_id=uuid.uuid4(), body="between sessions")
    return conversation, session


def test_client_downloads_their_own_transcript_and_it_is_audit_logged(chat, client, client_a):
    conversation, _ = chat
    client.force_login(client_a)
    response = client.get(f"/sessions/chat/{conversation.pk}/transcript/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    text = response.content.decode()
    assert "Client A: Saya sulit tidur" in text and "Counselor A: Sejak kapan?" in text and "between sessions" in text
    entry = AuditEntry.objects.filter(action="transcript.export").last()
    assert entry.actor_id == client_a.pk and entry.subject_id == client_a.pk
    assert "sulit" not in str(entry.detail)


def test_counselor_exports_one_sessions_transcript(chat, client, counselor_a, staff_login):
    _conversation, session = chat
    staff_login(client, counselor_a)
    response = client.get(f"/sessions/{session.pk}/transcript/")
    assert response.status_code == 200
    text = response.content.decode()
    assert f"Transcript of session {session.pk}" in text and "Saya sulit tidur" in text
    assert "between sessions" not in text  # only this session's messages
    assert AuditEntry.objects.filter(
        action="transcript.export", actor_id=counselor_a.pk, target_id=str(session.pk)
    ).exists()


def test_another_client_gets_404_for_a_transcript(chat, client, client_b):
    conversation, _session = chat
    client.force_login(client_b)
    assert client.get(f"/sessions/chat/{conversation.pk}/transcript/").status_code == 404
    assert not AuditEntry.objects.filter(action="transcript.export").exists()


def test_another_counselor_gets_404_for_a_session_transcript(chat, client, counselor_b, staff_login):
    _, session = chat
    staff_login(client, counselor_b)
    assert client.get(f"/sessions/{session.pk}/transcript/").status_code == 404


def test_anonymous_is_sent_to_login_for_a_transcript(chat, client):
    conversation, session = chat
    assert client.get(f"/sessions/chat/{conversation.pk}/transcript/").status_code == 302
    assert client.get(f"/sessions/{session.pk}/transcript/").status_code == 302


def test_a_client_cannot_use_the_counselor_session_export(chat, client, client_a):
    _, session = chat
    client.force_login(client_a)
    assert client.get(f"/sessions/{session.pk}/transcript/").status_code == 403
