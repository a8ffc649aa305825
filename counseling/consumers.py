import hashlib
import json
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer, AsyncWebsocketConsumer
from django.utils.translation import gettext as _

from counseling.mfa import session_is_verified

CLOSE_SIGNED_OUT = 4401
CLOSE_UNKNOWN_PATH = 4404
MAX_NOTIFICATION_FRAME_CHARS = 1024  # the page sends pings only


class FrameReader:
    """The first checks of every text frame a browser sends on a chat or call socket, in this order: text, size,
    at most `burst` frames a second, JSON, an object with a "type". `read` gives the frame, or None with the error
    code and message the socket answers with (one bad frame never closes the socket)."""

    def __init__(self, *, max_chars: int, burst: int):
        self.max_chars = max_chars
        self.burst = burst
        self.window = (0, 0)  # (second, frames in it)

    def read(self, text_data: str | None) -> tuple[dict | None, str, str]:
        if text_data is None:
            return None, "malformed", _("Frames must be JSON text.")
        if len(text_data) > self.max_chars:
            return None, "too_large", _("This frame is too large.")
        if not self._within_burst():
            return None, "rate_limited", _("Too many frames; slow down.")
        try:
            frame = json.loads(text_data)
        except (ValueError, RecursionError):  # RecursionError: "[" * 8000 nests deeper than the decoder goes
            return None, "malformed", _("This frame is not valid JSON.")
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            return None, "malformed", _('A frame is a JSON object with a "type".')
        return frame, "", ""

    def _within_burst(self) -> bool:
        second = int(time.monotonic())
        start, count = self.window
        if start != second:
            self.window = (second, 1)
            return True
        self.window = (start, count + 1)
        return count + 1 <= self.burst


def user_group(user_id: int) -> str:
    """The channel-layer group of one person's open pages: alerts and notices are sent here."""
    return f"user.{user_id}"


def user_sockets_group(user_id: int) -> str:
    """The channel-layer group every socket of one person joins (notifications and chat), so all of them can be
    closed at once when the account changes under them (counseling.notifications.user_sockets_close_on_commit).
    Its own group, so the notices to user_group do not wake every chat socket."""
    return f"user-sockets.{user_id}"


def session_tag(session_key: str | None) -> str:
    """What identifies a Django session on the channel layer: a digest, never the key, which would sign in
    whoever reads Redis."""
    return hashlib.sha256(f"counseling.socket-session:{session_key}".encode()).hexdigest()[:32] if session_key else ""


def scope_session_tag(scope) -> str:
    session = scope.get("session")
    return session_tag(session.session_key if session is not None else None)


def sockets_close_applies(event: dict, scope) -> bool:
    """A "sockets.close" event is for every socket of the person, or (signing out) for those of one session."""
    return not event.get("session") or event["session"] == scope_session_tag(scope)


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    """Pushes events (alerts, booking notices) to a signed-in person's open pages.

    Only ids and short, non-clinical text cross the channel layer; pages fetch details over HTTPS.
    """

    closing = False

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_SIGNED_OUT)
            return
        # Staff alerts name clients: the same second-factor rule as every staff page.
        if not await database_sync_to_async(session_is_verified)(user=user, session=self.scope.get("session")):
            await self.close(code=4403)
            return
        self.group = user_group(user.pk)
        self.sockets_group = user_sockets_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.channel_layer.group_add(self.sockets_group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await self.channel_layer.group_discard(self.sockets_group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        """Frames from the page: any malformed one gets an error frame and the socket keeps serving."""
        if text_data is None:
            await self._error("malformed", _("Frames must be JSON text."))
            return
        if len(text_data) > MAX_NOTIFICATION_FRAME_CHARS:
            await self._error("too_large", _("This frame is too large."))
            return
        try:
            frame = json.loads(text_data)
        except (ValueError, RecursionError):  # RecursionError: deeply nested arrays, still under the size limit
            await self._error("malformed", _("This frame is not valid JSON."))
            return
        if not isinstance(frame, dict):
            await self._error("malformed", _('A frame is a JSON object with a "type".'))
            return
        if frame.get("type") == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self._error("unsupported", _("Unsupported frame type."))

    async def _error(self, code: str, message: str):
        await self.send_json({"type": "error", "code": code, "message": str(message)})

    async def notify(self, event):
        await self.send_json(event["payload"])

    async def sockets_close(self, event):
        """Signed out, deactivated, password or role changed (counseling.receivers): the page stops listening."""
        if sockets_close_applies(event, self.scope) and not self.closing:
            self.closing = True
            await self.send_json({"type": "signed_out", "reason": event.get("reason", "")})
            await self.close(code=CLOSE_SIGNED_OUT)


class UnknownPathConsumer(AsyncWebsocketConsumer):
    """Any WebSocket path without a route: accepted only to be closed with CLOSE_UNKNOWN_PATH, so the browser
    sees a clear code and the server log no traceback."""

    async def connect(self):
        await self.accept()
        await self.close(code=CLOSE_UNKNOWN_PATH)
