"""Real-time notices to people's open pages, sent after the writing transaction commits."""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

from counseling.consumers import session_tag, user_group, user_sockets_group

log = logging.getLogger(__name__)


def group_send_now(*, group: str, event: dict) -> bool:
    """Ring the doorbell. The channel layer is at-most-once and may be down (a Redis restart): the
    write this event is about is already committed, and pages resync from the database, so a failed
    send is logged and never undoes or fails the write. Returns whether the send went out."""
    layer = get_channel_layer()
    if layer is None:
        return False
    try:
        async_to_sync(layer.group_send)(group, event)
    except Exception:
        log.warning("Channel layer send to %s failed; receivers resync from the database", group, exc_info=True)
        return False
    return True


async def group_send_from_loop(*, group: str, event: dict) -> bool:
    """group_send_now for a caller already on the event loop (after its own commit)."""
    layer = get_channel_layer()
    if layer is None:
        return False
    try:
        await layer.group_send(group, event)
    except Exception:
        log.warning("Channel layer send to %s failed; receivers resync from the database", group, exc_info=True)
        return False
    return True


def notify_user_now(*, user_id: int, payload: dict) -> bool:
    return group_send_now(group=user_group(user_id), event={"type": "notify", "payload": payload})


async def notify_user_from_loop(*, user_id: int, payload: dict) -> bool:
    """notify_user_now for a caller already on the event loop, after its own commit."""
    return await group_send_from_loop(group=user_group(user_id), event={"type": "notify", "payload": payload})


def notify_user_on_commit(*, user_id: int, payload: dict) -> None:
    """Never send an event about a write that might still roll back."""
    transaction.on_commit(lambda: notify_user_now(user_id=user_id, payload=payload))


def user_sockets_close_on_commit(*, user_id: int, reason: str, session_key: str | None = None) -> None:
    """Once the change commits, close the person's open sockets (notifications and chat), each with its signed-out
    frame: every socket, or with `session_key` only those of that signed-in session (signing out on one device
    leaves the others signed in). Only the user id, the reason and a digest of the session cross the layer.

    A socket the layer does not reach (Redis down) still closes at its own next check: the chat's inactivity
    timer finds the session gone, and a new socket is refused by the authentication of its handshake."""
    event = {"type": "sockets.close", "reason": reason, "session": session_tag(session_key)}
    transaction.on_commit(lambda: group_send_now(group=user_sockets_group(user_id), event=event))


def site_link(path: str) -> str:
    """An absolute link for an e-mail (which has no request to build one from): SITE_URL + path."""
    return settings.SITE_URL + path
