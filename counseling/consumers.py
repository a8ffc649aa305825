from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from counseling.mfa import session_is_verified


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

    async def receive_json(self, content, **kwargs):
        if content.get("type") == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self.send_json({"type": "error", "code": "unsupported", "message": "Unsupported frame."})

    async def notify(self, event):
        await self.send_json(event["payload"])
