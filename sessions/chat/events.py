"""Real-time events about a session, sent to its chat sockets after the writing transaction commits."""

from django.db import transaction

from counseling.notifications import group_send_now


def conversation_group(conversation_id: int) -> str:
    """The channel-layer group every open chat socket of one conversation joins."""
    return f"conversation.{conversation_id}"


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
    """Tell open chat sockets to re-check their gates and close (consent withdrawn, session ended)."""
    conversation_event_on_commit(conversation_id=conversation_id, event={"type": "chat.recheck", "reason": reason})
