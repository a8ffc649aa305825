"""The ASGI application the chat benchmark's server processes run.

The real project application (origin check, auth, the real ChatConsumer, PostgreSQL, the Redis
layer), plus a bare relay route for the baseline. The consent, identity and licensing gates are
opened for the load's cast (bench.chat_bench.make_cast, e-mail addresses at bench.test): their cost is
measured with the chat only once per connect, not per message. Anyone else (the page benchmark's cast)
meets the real gates. BENCH_LAYER picks the channel-layer backend ("core" RedisChannelLayer or "pubsub"
RedisPubSubChannelLayer).
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "counseling.settings")
os.environ["EMBEDDED_SCHEDULER"] = "0"

import django
from django.conf import settings

django.setup()

if os.environ.get("BENCH_LAYER") == "pubsub":
    settings.CHANNEL_LAYERS["default"]["BACKEND"] = "channels_redis.pubsub.RedisPubSubChannelLayer"
elif os.environ.get("BENCH_LAYER") == "core":
    settings.CHANNEL_LAYERS["default"]["BACKEND"] = "channels_redis.core.RedisChannelLayer"

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402
from django.urls import path  # noqa: E402

import sessions.selectors  # noqa: E402
from counseling.gates import GateResult  # noqa: E402
from counseling.routing import websocket_urlpatterns  # noqa: E402
from counseling.server_process import freeze_startup_objects  # noqa: E402

LOAD_CAST_DOMAIN = "@bench.test"  # bench.chat_bench.make_cast's people: the load's, never the pages' cast


def _opened_for_the_load(gate):
    """The gate, open for the load's cast only: the pages measured beside the load ask the real gates."""

    def opened(**kwargs):
        people = (kwargs.get("client"), kwargs.get("counselor"))
        if any(getattr(person, "email", "").endswith(LOAD_CAST_DOMAIN) for person in people):
            return GateResult.ok()
        return gate(**kwargs)

    return opened


for _name in ("consent_gate", "identity_gate", "jurisdiction_gate"):
    setattr(sessions.selectors, _name, _opened_for_the_load(getattr(sessions.selectors, _name)))


class RelayConsumer(AsyncWebsocketConsumer):
    """The baseline: forwards each frame over the same channel layer. No database, no encryption, no checks."""

    async def connect(self):
        self.group = f"relay.{self.scope['url_route']['kwargs']['room']}"
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        await self.channel_layer.group_send(
            self.group, {"type": "relay.frame", "text": text_data, "origin": self.channel_name}
        )
        await self.send('{"type": "ack"}')

    async def relay_frame(self, event):
        if event["origin"] != self.channel_name:
            await self.send(event["text"])


application = ProtocolTypeRouter(
    {
        "http": get_asgi_application(),
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(
                URLRouter([*websocket_urlpatterns, path("ws/relay/<int:room>/", RelayConsumer.as_asgi())])
            )
        ),
    }
)
freeze_startup_objects()  # as counseling/asgi.py does
