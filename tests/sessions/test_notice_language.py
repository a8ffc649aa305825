"""A counselor hears of their clients' messages in the language they chose on their account: the notice on their open
pages, the batched e-mail, the reminder before a promised reply runs out and the chat socket's answers. Their
profile's languages list the other language first, so only the choice can decide."""
# ruff: noqa: F811  (the pytest fixture imported from test_message_notices is used as an argument)

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.core import mail

from counseling.clock import now
from counseling.models import CounselorProfile, User
from sessions.chat import notices
from sessions.models import Message
from tests.sessions.chat_helpers import joined_socket
from tests.sessions.test_message_notices import _post, application, pushed  # noqa: F401

WORDS = {
    "id": {
        "notice": "Pesan baru dari Client A",
        "link": "Buka percakapan",
        "email": "Pesan baru dari klien Anda",
        "reminder": "Balas Client A sebelum pukul ",
        "reminder_email": "Waktu balasan yang Anda janjikan segera habis",
    },
    "en": {
        "notice": "New message from Client A",
        "link": "Open the conversation",
        "email": "New messages from your clients",
        "reminder": "Reply to Client A due by ",
        "reminder_email": "A reply you promised is due soon",
    },
}
OTHER_FIRST = {"id": "en,id", "en": "id,en"}


def chose(counselor, language: str) -> None:
    CounselorProfile.objects.filter(user=counselor).update(languages=OTHER_FIRST[language])
    User.objects.filter(pk=counselor.pk).update(language=language)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["id", "en"])
def test_the_message_notice_and_the_email_come_in_the_language_the_counselor_chose(
    chat,
    client_a,
    counselor_a,
    pushed,
    django_capture_on_commit_callbacks,
    language,
):
    chose(counselor_a, language)
    conversation, _session = chat
    with django_capture_on_commit_callbacks(execute=True):
        _post(conversation, client_a, "between sessions")
    [(user_id, notice)] = pushed
    assert (user_id, notice["title"], notice["link"]) == (
        counselor_a.pk,
        WORDS[language]["notice"],
        WORDS[language]["link"],
    )
    assert notices.message_emails_send() == 1
    [email] = mail.outbox
    assert email.to == [counselor_a.email] and WORDS[language]["email"] in email.subject


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["id", "en"])
def test_the_reply_reminder_comes_in_the_language_the_counselor_chose(
    chat,
    client_a,
    counselor_a,
    pushed,
    settings,
    django_capture_on_commit_callbacks,
    language,
):
    settings.REPLY_REMINDER_MINUTES_BEFORE = 60
    chose(counselor_a, language)
    conversation, _session = chat
    message = _post(conversation, client_a, "between sessions")
    Message.objects.filter(pk=message.pk).update(reply_due_at=now() + timedelta(minutes=45))
    pushed.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert notices.reply_reminders_send() == 1
    [(_user_id, notice)] = pushed
    assert notice["title"].startswith(WORDS[language]["reminder"]) and notice["link"] == WORDS[language]["link"]
    [email] = mail.outbox
    assert WORDS[language]["reminder_email"] in email.subject


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
@pytest.mark.parametrize("language, refusal", [("id", "Frame ini terlalu besar."), ("en", "This frame is too large.")])
async def test_the_chat_socket_answers_a_counselor_in_the_language_they_chose(
    chat, client_a, counselor_a, language, refusal
):
    await database_sync_to_async(chose)(counselor_a, language)
    conversation, _session = chat
    socket = await joined_socket(application, counselor_a, conversation)
    await socket.send_to(text_data="x" * (16 * 1024 + 1))
    frame = await socket.receive_json_from(timeout=3)
    assert (frame["type"], frame["message"]) == ("error", refusal)
    await socket.disconnect()
