import json

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer, AsyncWebsocketConsumer
from django.utils.translation import gettext as _

from counseling.mfa import session_is_verified

CLOSE_UNKNOWN_PATH = 4404
MAX_NOTIFICATION_FRAME_CHARS = 1024  # the page sends pings only


def user_group(user_id: int) -> str:
    """The channel-layer group of one person's open pages: alerts and notices are sent here."""
    return f"user.{user_id}"


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    """Pushes events (alerts, booking notices) to a signed-in person's open pages.

    Only ids and short, non-clinical text cross the channel layer; pages fetch details over HTTPS.
    """

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        # Staff alerts name clients: the same second-factor rule as every staff page.
        if not await database_sync_to_async(session_is_verified)(user=user, session=self.scope.get("session")):
            await self.close(code=4403)
            return
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

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


class UnknownPathConsumer(AsyncWebsocketConsumer):
    """Any WebSocket path without a route: accepted only to be closed with CLOSE_UNKNOWN_PATH, so the browser
    sees a clear code and the server log no traceback."""

    async def connect(self):
        await self.accept()
        await self.close(code=CLOSE_UNKNOWN_PATH)
