"""At most WEBSOCKETS_PER_USER open sockets (chat and notifications together) per person, in every process.

Each open socket holds one numbered slot in the shared cache (Redis in production): claiming one is an atomic
add, so two processes never hand out the same slot. A slot carries an expiry that the socket renews while it
is open, so a process that crashed without releasing its slots gives them back within SOCKET_SLOT_SECONDS.
A socket over the limit is accepted only to be told why, then closed with CLOSE_TOO_MANY_SOCKETS
(docs/chat-protocol.md)."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid

from django.conf import settings
from django.core.cache import cache
from django.utils import translation
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

CLOSE_TOO_MANY_SOCKETS = 4429
SOCKET_SLOT_SECONDS = 90  # a slot not renewed for this long is free again (a crashed process)
RENEW_EVERY_SECONDS = SOCKET_SLOT_SECONDS / 3


def _slot_key(user_id: int, index: int) -> str:
    return f"ws-slot:{user_id}:{index}"


async def socket_slot_claim(*, user_id: int, holder: str) -> str | None:
    """The cache key of a free slot now held by `holder`, or None when all of the person's slots are taken."""
    for index in range(settings.WEBSOCKETS_PER_USER):
        key = _slot_key(user_id, index)
        if await cache.aadd(key, holder, timeout=SOCKET_SLOT_SECONDS):
            return key
    return None


async def socket_slot_renew(*, key: str, holder: str) -> None:
    if not await cache.atouch(key, SOCKET_SLOT_SECONDS):  # expired meanwhile (a stalled loop): take it again
        await cache.aadd(key, holder, timeout=SOCKET_SLOT_SECONDS)


async def socket_slot_release(*, key: str, holder: str) -> None:
    if await cache.aget(key) == holder:
        await cache.adelete(key)


class SocketLimitMiddleware:
    """ASGI middleware inside AuthMiddlewareStack (it needs scope["user"]): counts a signed-in person's sockets.

    Anonymous sockets are not counted: every consumer refuses them at once."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        user = scope.get("user")
        if scope["type"] != "websocket" or user is None or not user.is_authenticated:
            return await self.app(scope, receive, send)
        holder = uuid.uuid4().hex
        key = await socket_slot_claim(user_id=user.pk, holder=holder)
        if key is None:
            await _refuse(user, receive, send)
            return None
        renewer = asyncio.ensure_future(_renew_while_open(key, holder))
        try:
            return await self.app(scope, receive, send)
        finally:
            renewer.cancel()
            await asyncio.shield(socket_slot_release(key=key, holder=holder))


async def _renew_while_open(key: str, holder: str) -> None:
    while True:
        await asyncio.sleep(RENEW_EVERY_SECONDS)
        try:
            await socket_slot_renew(key=key, holder=holder)
        except Exception:  # the cache is away for a moment: the next round renews it
            logger.warning("renewing a WebSocket slot failed", exc_info=True)


async def _refuse(user, receive, send) -> None:
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    with translation.override(getattr(user, "language", "") or settings.LANGUAGE_CODE):
        text = _("You have too many pages of this site open. Close some of them, then reload this page.")
    await send({"type": "websocket.accept"})
    frame = {"type": "error", "code": "too_many_sockets", "message": str(text)}
    await send({"type": "websocket.send", "text": json.dumps(frame)})
    await send({"type": "websocket.close", "code": CLOSE_TOO_MANY_SOCKETS})
