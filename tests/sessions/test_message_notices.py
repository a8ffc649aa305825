"""Counselors hear about their clients' messages between sessions: a notice on every open page at once, an
e-mail at most once per MESSAGE_NOTICE_EMAIL_MINUTES, and a reminder before the promised reply time runs out.
None of them holds what the client wrote; the e-mails do not name the client either."""

import json
import threading
import uuid
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from counseling.clock import now
from counseling.models import CounselorProfile
from sessions.chat import notices, services
from sessions.models import Conversation, Message
from tests.sessions.chat_helpers import chat_application, chat_socket, joined_socket

application = chat_application()

SECRET = "I lost my job at Bank Mandiri and I have not told Rina"


def _counselor_reads(counselor, language: str) -> None:
    CounselorProfile.objects.filter(user=counselor).update(languages=language)


def _post(conversation, sender, body=SECRET, session=None) -> Message:
    conversation.refresh_from_db()
    message, _created = services.message_post(
        conversation=Conversation.objects.select_related("client", "counselor__counselor_profile").get(
            pk=conversation.pk
        ),
        sender=sender,
        client_msg_id=uuid.uuid4(),
        body=body,
        session=session,
    )
    return message


@pytest.fixture
def pushed(monkeypatch):
    """Every notice sent to someone's open pages from a worker thread, as (user_id, payload)."""
    sent = []

    def record(*, user_id, payload):
        sent.append((user_id, payload))
        return True

    monkeypatch.setattr("counseling.notifications.notify_user_now", record)
    return sent


def _no_client_content(payload_or_text) -> None:
    text = payload_or_text if isinstance(payload_or_text, str) else json.dumps(payload_or_text)
    for word in ("lost my job", "Mandiri", "Rina"):
        assert word not in text


# --- At once, on every open page ------------------------------------------------------------------------


async def _acknowledged(socket) -> dict:
    """The socket's next "ack", past frames about other things (the code-word question at a session's start)."""
    while True:
        frame = await socket.receive_json_from(timeout=3)
        if frame["type"] in ("ack", "error"):
            return frame


async def _notices_socket(user):
    socket = await chat_socket(application, user, "/ws/notifications/")
    assert (await socket.connect())[0]
    return socket


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_clients_message_between_sessions_shows_a_notice_on_every_open_page_of_the_counselor(
    chat, client_a, counselor_a
):
    conversation, _session = chat
    await database_sync_to_async(_counselor_reads)(counselor_a, "en")
    dashboard, other_tab = await _notices_socket(counselor_a), await _notices_socket(counselor_a)
    client = await joined_socket(application, client_a, conversation)  # between sessions: no session
    await client.send_json_to({"type": "send", "client_msg_id": str(uuid.uuid4()), "body": SECRET})
    assert (await client.receive_json_from(timeout=3))["type"] == "ack"
    for page in (dashboard, other_tab):
        notice = await page.receive_json_from(timeout=3)
        # Kept in the counselor's notice list as it was sent: its id there, and their unread count for the header.
        assert isinstance(notice.pop("notice_id"), int) and notice.pop("unread") >= 1
        assert notice == {
            "type": "message.received",
            "id": conversation.pk,
            "title": "New message from Client A",
            "url": reverse("sessions:conversation_chat", args=[conversation.pk]),
            "link": "Open the conversation",
        }
        _no_client_content(notice)
    for socket in (client, dashboard, other_tab):
        await socket.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_notice_is_in_the_counselors_language(chat, client_a, counselor_a):
    conversation, _session = chat
    await database_sync_to_async(_counselor_reads)(counselor_a, "id,en")
    page = await _notices_socket(counselor_a)
    client = await joined_socket(application, client_a, conversation)
    await client.send_json_to({"type": "send", "client_msg_id": str(uuid.uuid4()), "body": SECRET})
    await client.receive_json_from(timeout=3)
    with translation.override("id"):
        expected = _("New message from %(name)s") % {"name": "Client A"}
    assert (await page.receive_json_from(timeout=3))["title"] == expected
    await client.disconnect()
    await page.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_counselors_own_message_and_a_message_in_a_session_notify_nobody(
    chat, client_a, counselor_a, counselor_b
):
    conversation, session = chat
    pages = [await _notices_socket(person) for person in (client_a, counselor_a, counselor_b)]
    counselor = await joined_socket(application, counselor_a, conversation)
    await counselor.send_json_to({"type": "send", "client_msg_id": str(uuid.uuid4()), "body": "How are you?"})
    assert (await counselor.receive_json_from(timeout=3))["type"] == "ack"
    in_session = await joined_socket(application, client_a, conversation, session)
    await in_session.send_json_to({"type": "send", "client_msg_id": str(uuid.uuid4()), "body": SECRET})
    assert (await _acknowledged(in_session))["type"] == "ack"
    for page in pages:
        assert await page.receive_nothing(timeout=0.3)
    for socket in (*pages, counselor, in_session):
        await socket.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_another_counselor_hears_nothing_of_a_message_to_a_colleague(chat, client_a, counselor_a, counselor_b):
    conversation, _session = chat
    mine, theirs = await _notices_socket(counselor_a), await _notices_socket(counselor_b)
    client = await joined_socket(application, client_a, conversation)
    await client.send_json_to({"type": "send", "client_msg_id": str(uuid.uuid4()), "body": SECRET})
    await client.receive_json_from(timeout=3)
    assert (await mine.receive_json_from(timeout=3))["type"] == "message.received"
    assert await theirs.receive_nothing(timeout=0.3)
    for socket in (client, mine, theirs):
        await socket.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_notice_leaves_the_chat_socket_in_its_usual_state(chat, client_a, counselor_a):
    """The counselor's open chat still gets the message itself, with its body, besides the notice."""
    conversation, _session = chat
    counselor = await joined_socket(application, counselor_a, conversation)
    client = await joined_socket(application, client_a, conversation)
    await client.send_json_to({"type": "send", "client_msg_id": str(uuid.uuid4()), "body": SECRET})
    await client.receive_json_from(timeout=3)
    frame = await counselor.receive_json_from(timeout=3)
    assert frame["type"] == "message" and frame["body"] == SECRET
    await client.disconnect()
    await counselor.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the event loop's store is PostgreSQL's")
async def test_on_the_event_loop_the_notice_costs_no_database_round_trip(chat, client_a, counselor_a, monkeypatch):
    """The message is stored by its one statement from the loop, and the notice is built from what the socket
    loaded at connect: no worker thread, no other query."""
    conversation, _session = chat
    page = await _notices_socket(counselor_a)
    client = await joined_socket(application, client_a, conversation)
    await client.send_json_to({"type": "send", "client_msg_id": str(uuid.uuid4()), "body": "first"})
    await client.receive_json_from(timeout=3)  # the first message creates the client's key (a thread)
    await page.receive_json_from(timeout=3)
    threaded = []
    monkeypatch.setattr(services, "message_post", lambda **kwargs: threaded.append(kwargs))
    await client.send_json_to({"type": "send", "client_msg_id": str(uuid.uuid4()), "body": SECRET})
    assert (await client.receive_json_from(timeout=3))["type"] == "ack"
    assert (await page.receive_json_from(timeout=3))["title"]
    assert threaded == []
    await client.disconnect()
    await page.disconnect()


@pytest.mark.django_db
def test_a_message_stored_in_a_worker_thread_notifies_the_counselor_after_commit(
    chat, client_a, counselor_a, pushed, django_capture_on_commit_callbacks
):
    conversation, _session = chat
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _post(conversation, client_a)
        assert pushed == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert [(user_id, payload["type"]) for user_id, payload in pushed] == [(counselor_a.pk, "message.received")]
    _no_client_content(pushed[0][1])


# --- By e-mail, batched ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_three_messages_make_one_email_with_no_text_and_no_name(chat, client_a, client_b, counselor_a, settings):
    conversation, _session = chat
    for body in (SECRET, "second", "third"):
        _post(conversation, client_a, body)
    other, _ = Conversation.objects.get_or_create(client=client_b, counselor=counselor_a)
    _post(other, client_b, "Client B writes too")
    assert notices.message_emails_send() == 1
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [counselor_a.email]
    assert "2 clients" in email.body or "2 klien" in email.body
    assert settings.SITE_URL + reverse("sessions:chat_list") in email.body
    for text in (email.subject, email.body):
        _no_client_content(text)
        assert "Client A" not in text and "Client B" not in text and "writes too" not in text
    assert not Message.objects.filter(sender__in=[client_a, client_b], counselor_emailed_at__isnull=True).exists()


@pytest.mark.django_db
def test_the_next_email_waits_for_the_window_to_pass(chat, client_a, counselor_a, settings):
    settings.MESSAGE_NOTICE_EMAIL_MINUTES = 15
    conversation, _session = chat
    start = now()
    _post(conversation, client_a)
    assert notices.message_emails_send(at=start) == 1
    _post(conversation, client_a, "later")
    assert notices.message_emails_send(at=start + timedelta(minutes=5)) == 0
    assert notices.message_emails_send(at=start + timedelta(minutes=14)) == 0
    assert notices.message_emails_send(at=start + timedelta(minutes=16)) == 1
    assert len(mail.outbox) == 2
    assert "1 client" in mail.outbox[1].body or "1 klien" in mail.outbox[1].body


@pytest.mark.django_db
def test_a_job_run_twice_sends_the_email_once(chat, client_a, counselor_a):
    conversation, _session = chat
    _post(conversation, client_a)
    assert notices.message_emails_send() == 1
    assert notices.message_emails_send() == 0
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_messages_answered_read_or_written_in_a_session_bring_no_email(chat, client_a, counselor_a):
    conversation, session = chat
    _post(conversation, client_a, "in the session", session=session)
    _post(conversation, client_a, "answered")
    _post(conversation, counselor_a, "my answer")
    read = _post(conversation, client_a, "read already")
    Message.objects.filter(pk=read.pk).update(read_at=now())
    assert notices.message_emails_send() == 0
    assert mail.outbox == []


@pytest.mark.django_db
def test_an_email_that_could_not_be_sent_is_tried_again_at_the_next_run(chat, client_a, counselor_a, monkeypatch):
    conversation, _session = chat
    _post(conversation, client_a)

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr("counseling.mail.send_mail", refuse)
    assert notices.message_emails_send() == 0
    assert not Message.objects.filter(counselor_emailed_at__isnull=False).exists()
    monkeypatch.undo()
    assert notices.message_emails_send() == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_one_email(chat, client_a, counselor_a):
    conversation, _session = chat
    for body in ("one", "two", "three"):
        _post(conversation, client_a, body)
    mail.outbox.clear()  # the set-up's own e-mails (its session has no emergency plan: an alert)
    start = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            start.wait(timeout=10)
            results.append(notices.message_emails_send())
        except Exception as error:  # reported below, with the test's own assertion
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(results) == [0, 1]
    assert len(mail.outbox) == 1


# --- A reminder before the promised reply time runs out ---------------------------------------------------


def _due_in(message: Message, minutes: int) -> None:
    Message.objects.filter(pk=message.pk).update(reply_due_at=now() + timedelta(minutes=minutes))


@pytest.mark.django_db
def test_the_reminder_comes_once_before_the_reply_is_due(
    chat, client_a, counselor_a, pushed, settings, django_capture_on_commit_callbacks
):
    settings.REPLY_REMINDER_MINUTES_BEFORE = 60
    _counselor_reads(counselor_a, "en")
    conversation, _session = chat
    message = _post(conversation, client_a)
    pushed.clear()
    _due_in(message, 90)
    assert notices.reply_reminders_send() == 0  # not yet: more than an hour left
    _due_in(message, 45)
    with django_capture_on_commit_callbacks(execute=True):
        assert notices.reply_reminders_send() == 1
    assert notices.reply_reminders_send() == 0  # once
    assert [(user_id, payload["type"]) for user_id, payload in pushed] == [(counselor_a.pk, "message.reply_due")]
    notice = pushed[0][1]
    assert notice["title"].startswith("Reply to Client A due by ")
    assert notice["url"] == reverse("sessions:conversation_chat", args=[conversation.pk])
    _no_client_content(notice)
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [counselor_a.email]
    assert reverse("sessions:conversation_chat", args=[conversation.pk]) in email.body
    for text in (email.subject, email.body):
        _no_client_content(text)
        assert "Client A" not in text


@pytest.mark.django_db
def test_no_reminder_once_the_counselor_answered_or_the_time_has_passed(chat, client_a, counselor_a, pushed):
    conversation, _session = chat
    answered = _post(conversation, client_a)
    _post(conversation, counselor_a, "Here I am")
    assert not Message.objects.get(pk=answered.pk).awaiting_reply
    _due_in(answered, 30)
    overdue = _post(conversation, client_a, "still there?")
    _due_in(overdue, -5)  # passed: escalation's business now (crisis.services.overdue_replies_open)
    pushed.clear()
    assert notices.reply_reminders_send() == 0
    assert pushed == [] and mail.outbox == []


@pytest.mark.django_db
def test_one_reminder_for_several_messages_of_one_conversation(
    chat, client_a, counselor_a, pushed, django_capture_on_commit_callbacks
):
    conversation, _session = chat
    for body in ("one", "two"):
        _due_in(_post(conversation, client_a, body), 30)
    pushed.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert notices.reply_reminders_send() == 1
    assert len(pushed) == 1 and len(mail.outbox) == 1
    assert Message.objects.filter(reply_reminded_at__isnull=False).count() == 2
