import pytest
from channels.testing import WebsocketCommunicator

from counseling.asgi import application
from counseling.notifications import notify_user_now

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def _connect(user=None, origin=b"http://127.0.0.1:8000"):
    from channels.db import database_sync_to_async
    from django.contrib.auth.models import AnonymousUser

    communicator = WebsocketCommunicator(application, "/ws/notifications/", headers=[(b"origin", origin)])
    communicator.scope["user"] = user or AnonymousUser()
    await database_sync_to_async(lambda: None)()
    return communicator


async def test_anonymous_socket_is_refused(db):
    communicator = await _connect()
    connected, _code = await communicator.connect()
    assert not connected
    await communicator.disconnect()


async def test_foreign_origin_is_refused(client_a):
    communicator = await _connect(client_a, origin=b"https://evil.example")
    connected, _ = await communicator.connect()
    assert not connected


async def test_signed_in_person_receives_their_own_notices_only(client_a, client_b):
    from asgiref.sync import sync_to_async

    mine = await _connect(client_a)
    theirs = await _connect(client_b)
    assert (await mine.connect())[0] and (await theirs.connect())[0]
    await sync_to_async(notify_user_now)(user_id=client_a.pk, payload={"type": "booking", "id": 5})
    assert await mine.receive_json_from(timeout=3) == {"type": "booking", "id": 5}
    assert await theirs.receive_nothing(timeout=0.3)
    await mine.send_json_to({"type": "nonsense"})
    assert (await mine.receive_json_from())["code"] == "unsupported"
    await mine.disconnect()
    await theirs.disconnect()


async def test_notice_crosses_the_real_redis_channel_layer(client_a, redis_url, settings):
    from asgiref.sync import sync_to_async
    from channels.layers import channel_layers

    assert settings.CHANNEL_LAYERS["default"]["BACKEND"].startswith("channels_redis.")
    channel_layers.backends.clear()
    communicator = await _connect(client_a)
    assert (await communicator.connect())[0]
    await sync_to_async(notify_user_now)(user_id=client_a.pk, payload={"type": "smoke"})
    assert await communicator.receive_json_from(timeout=5) == {"type": "smoke"}
    await communicator.disconnect()
