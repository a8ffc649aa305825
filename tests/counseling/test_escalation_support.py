"""Shared fixtures and helpers for the escalation and retention tests; holds no tests itself."""

import uuid
from datetime import timedelta

import pytest
from django.db.models import Max

from counseling import clock
from counseling.crypto import seal
from sessions.models import Conversation, CounselingSession, Message


@pytest.fixture
def eager_celery():
    """Tasks run in the test process, also when REDIS_URL is set (no worker in these tests)."""
    from counseling.celery import app

    before = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


@pytest.fixture
def pushed(monkeypatch):
    """Every real-time notice sent, as (user_id, payload)."""
    sent = []

    def record(*, user_id, payload):
        sent.append((user_id, payload))
        return True  # the layer took it

    monkeypatch.setattr("crisis.services.notify_user_now", record)
    monkeypatch.setattr("counseling.notifications.notify_user_now", record)
    return sent


def make_session(client, counselor, *, country="ID", region="", confirmed=True, at=None):
    at = at or clock.now()
    return CounselingSession.objects.create(
        client=client,
        counselor=counselor,
        starts_at=at - timedelta(minutes=10),
        ends_at=at + timedelta(minutes=40),
        state="in_progress",
        location_country=country if confirmed else "",
        location_region=region,
        location_confirmed_at=at if confirmed else None,
    )


def make_message(client, counselor, text, *, sender=None, at=None, reply_due_at=None, session=None):
    sender = sender or client
    conversation, _ = Conversation.objects.get_or_create(client=client, counselor=counselor)
    seq = (conversation.messages.aggregate(m=Max("seq"))["m"] or 0) + 1
    aad = f"message:{conversation.pk}:{sender.pk}:{seq}"
    return Message.objects.create(
        conversation=conversation,
        session=session,
        seq=seq,
        sender=sender,
        client_msg_id=uuid.uuid4(),
        body_sealed=seal(owner_id=client.pk, plaintext=text, context=aad),
        created_at=at or clock.now(),
        reply_due_at=reply_due_at,
    )
