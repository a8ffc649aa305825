"""Real-time notices to people's open pages, sent after the writing transaction commits.

Every notice with a title is also kept, as it is sent, in the person's notice list (counseling.notices.notice_keep,
the page /notices/), so a notice sent while no page was open is still there to read; the pushed notice carries
the person's unread count for the header."""

import logging

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

from counseling.consumers import session_tag, user_group, user_sockets_group
from counseling.notices import notice_keep
from counseling.selectors import notices_unread_count

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


def _kept(*, user_id: int, payload: dict) -> dict:
    """Keep the notice in the person's list and add their unread count to what their pages get. Keeping must never
    fail the send (nor the caller's transaction: a savepoint), so a failure is logged and the notice still goes."""
    if not isinstance(payload.get("title"), str) or not payload["title"].strip():
        return payload
    try:
        with transaction.atomic():
            notice = notice_keep(user_id=user_id, payload=payload)
            unread = notices_unread_count(user_id=user_id)
    except Exception:
        log.warning("Keeping a notice for user %s failed; it is sent to the open pages only", user_id, exc_info=True)
        return payload
    return {**payload, "notice_id": notice.pk, "unread": unread} if notice is not None else payload


def notify_user_now(*, user_id: int, payload: dict) -> bool:
    """Send a notice to the person's open pages now, and keep it in their notice list (one with a title)."""
    payload = _kept(user_id=user_id, payload=payload)
    return group_send_now(group=user_group(user_id), event={"type": "notify", "payload": payload})


async def notify_user_from_loop(*, user_id: int, payload: dict) -> bool:
    """notify_user_now for a caller already on the event loop, after its own commit (the notice is kept in a
    worker thread, off the loop)."""
    if isinstance(payload.get("title"), str) and payload["title"].strip():
        payload = await database_sync_to_async(_kept, thread_sensitive=False)(user_id=user_id, payload=payload)
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
