"""Real-time notices to people's open pages, sent after the writing transaction commits."""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from counseling.consumers import user_group


def notify_user_now(*, user_id: int, payload: dict) -> None:
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(user_group(user_id), {"type": "notify", "payload": payload})


def notify_user_on_commit(*, user_id: int, payload: dict) -> None:
    """Never send an event about a write that might still roll back."""
    transaction.on_commit(lambda: notify_user_now(user_id=user_id, payload=payload))
