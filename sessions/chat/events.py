"""Real-time events about a session, sent to its chat sockets after the writing transaction commits, and the
notices a counselor's open pages get about their clients' messages."""

import functools
from datetime import datetime

from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from counseling.mail import language_of
from counseling.notifications import group_send_now
from sessions.chat.selectors import cover_sentence


def conversation_group(conversation_id: int) -> str:
    """The channel-layer group every open chat socket of one conversation joins."""
    return f"conversation.{conversation_id}"


def conversation_calls_group(conversation_id: int) -> str:
    """The group every open call socket of the conversation's sessions joins, to hear when a gate closes
    (sessions.calls.consumers): apart from the chat's group, so calls are not sent every chat message."""
    return f"conversation.{conversation_id}.calls"


def conversation_event_on_commit(*, conversation_id: int, event: dict) -> None:
    """Send `event` (a dict with a "type" a consumer handles; ids, numbers and ciphertext, never
    plaintext) once the write is committed."""

    transaction.on_commit(lambda: group_send_now(group=conversation_group(conversation_id), event=event))


def message_new_event(*, message, origin: str) -> dict:
    """The event announcing a stored message: numbers, and its body as stored (sealed; never plaintext),
    so receiving sockets need not read it back (sessions.selectors.message_frame_from_event)."""
    return {
        "type": "message.new",
        "seq": message.seq,
        "origin": origin,
        "stored": {
            "sender": message.sender_id,
            "session": message.session_id,
            "client_msg_id": str(message.client_msg_id),
            "body_sealed": bytes(message.body_sealed),
            "created_at": message.created_at.isoformat(),
            "reply_due_at": message.reply_due_at.isoformat() if message.reply_due_at else None,
        },
    }


def chat_close_on_commit(*, conversation_id: int, reason: str) -> None:
    """Tell open chat and call sockets to re-check their gates and close (consent withdrawn, session ended)."""
    conversation_event_on_commit(conversation_id=conversation_id, event={"type": "chat.recheck", "reason": reason})
    transaction.on_commit(
        lambda: group_send_now(
            group=conversation_calls_group(conversation_id), event={"type": "call.recheck", "reason": reason}
        )
    )


def client_message_notice(*, conversation) -> dict:
    """The notice on every open page of the counselor when their client writes between sessions: who (the
    pseudonym the counselor sees everywhere) and where to read it, never what. In the counselor's language.

    Memory only when the conversation's people and their profiles are loaded (sessions.chat.selectors.access_chat
    loads them for a chat socket); otherwise it reads them, which on an event loop raises SynchronousOnlyOperation.
    """
    return dict(
        _client_message_notice(conversation.pk, conversation.client.display_name, language_of(conversation.counselor))
    )


@functools.lru_cache(maxsize=4096)
def _client_message_notice(conversation_id: int, name: str, language: str) -> dict:
    # Kept: on the event loop it is built for every message, and translating and reversing cost 70 us each time.
    with translation.override(language):
        return {
            "type": "message.received",
            "id": conversation_id,  # one card per conversation: a further message replaces it
            "title": _("New message from %(name)s") % {"name": name},
            "url": reverse("sessions:conversation_chat", args=[conversation_id]),
            "link": _("Open the conversation"),
        }


def reply_due_notice(*, conversation, due_at: datetime, zone) -> dict:
    """The reminder on the counselor's open pages that the reply they promised to this client is due soon:
    the pseudonym, the time in the counselor's zone, the link; never what the client wrote."""
    with translation.override(language_of(conversation.counselor)):
        return {
            "type": "message.reply_due",
            "id": conversation.pk,
            "title": _("Reply to %(name)s due by %(time)s")
            % {"name": conversation.client.display_name, "time": due_at.astimezone(zone).strftime("%H:%M")},
            "body": _("The reply time you promised runs out soon."),
            "url": reverse("sessions:conversation_chat", args=[conversation.pk]),
            "link": _("Open the conversation"),
        }


def cover_notice(*, cover) -> dict:
    """The notice on the client's open pages that someone answers in their counselor's place: who, until when and
    why, in the client's language, and where to read it."""
    client = cover.conversation.client
    with translation.override(language_of(client)):
        return {
            "type": "conversation.cover",
            "id": cover.conversation_id,
            "title": _("Someone is answering for your counselor"),
            "body": cover_sentence(cover=cover, viewer=client),
            "url": reverse("sessions:conversation_chat", args=[cover.conversation_id]),
            "link": _("Open the conversation"),
        }


def client_dropped_notice(*, session, away_since: datetime, zone) -> dict:
    """The alert on the counselor's open pages that their client's connection dropped during the session and did
    not come back: the pseudonym, since when (the counselor's zone), the link to the session page, which shows the
    client's plan for a dropped connection. Urgent: shown with the escalation alerts (static/js/alerts.js)."""
    with translation.override(language_of(session.counselor)):
        return {
            "type": "session.client_dropped",
            "id": session.pk,  # one card per session: the client's return replaces it (client_back_notice)
            "urgent": True,
            "title": _("%(name)s's connection dropped and has not come back") % {"name": session.client.display_name},
            "body": _(
                "Not back since %(time)s. Their plan for a dropped connection and their phone are on the session page;"
                " record there what you did."
            )
            % {"time": away_since.astimezone(zone).strftime("%H:%M")},
            "url": reverse("sessions:session_chat", args=[session.pk]),
            "link": _("Open the session"),
        }


def client_back_notice(*, session) -> dict:
    """The client whose dropped connection was reported is back in the session: replaces the alert's card."""
    with translation.override(language_of(session.counselor)):
        return {
            "type": "session.client_dropped",
            "id": session.pk,
            "title": _("%(name)s is back in the session") % {"name": session.client.display_name},
            "body": _("Record on the session page what you did while they were away."),
            "url": reverse("sessions:session_chat", args=[session.pk]),
            "link": _("Open the session"),
        }
