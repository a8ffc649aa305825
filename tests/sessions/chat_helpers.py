"""Shared set-up of the chat tests: an open session between client_a and counselor_a, gates opened."""

from __future__ import annotations

from datetime import timedelta

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db.models import Q

from counseling.clock import now
from counseling.gates import GateResult
from identity.models import CodeWordCheck
from sessions.models import Conversation, CounselingSession

ORIGIN = b"http://127.0.0.1:8000"


def open_gates(monkeypatch) -> None:
    """The consent, identity and licensing gates are other features' work: open them where we import them."""
    for name in ("consent_gate", "identity_gate", "jurisdiction_gate"):
        monkeypatch.setattr(f"sessions.selectors.{name}", lambda **kw: GateResult.ok())


def open_session(client, counselor, *, code_word_matched: bool = True) -> tuple[Conversation, CounselingSession]:
    """An open session of the pair with a location confirmed, and their conversation. The client's code word
    matched already (the check at the start is its own tests' work: tests/sessions/test_code_word_at_start.py)
    unless `code_word_matched=False`."""
    # Neither a counselor's nor a client's sessions may overlap (PostgreSQL exclusion constraints).
    earlier = CounselingSession.objects.filter(Q(counselor=counselor) | Q(client=client)).count()
    start = now() - timedelta(minutes=5) + timedelta(hours=2) * earlier
    session = CounselingSession.objects.create(
        client=client,
        counselor=counselor,
        starts_at=start,
        ends_at=start + timedelta(minutes=50),
        state="open",
        location_country="ID",
        location_region="ID-YO",
        location_confirmed_at=now(),
    )
    if code_word_matched:
        CodeWordCheck.objects.create(client=client, session=session, matched=True)
    conversation, _ = Conversation.objects.get_or_create(client=client, counselor=counselor)
    return conversation, session


def login_cookie(user, *, second_factor: bool = True) -> str:
    """A real signed-in Django session for `user` (staff: with their second factor passed), as a Cookie header."""
    from django.conf import settings
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    browser = Client()
    browser.force_login(user)
    session = browser.session
    if second_factor and (user.is_counselor or user.is_admin):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
            user=user, name="authenticator", confirmed=True
        )
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def chat_application():
    """The production WebSocket stack (origin check, cookies, session, auth, socket limit, routes) without the
    embedded job scheduler, which has nothing to do with the chat."""
    from counseling.routing import websocket_application

    return websocket_application()


async def chat_socket(application, user, path: str, origin: bytes = ORIGIN, second_factor: bool = True):
    """A WebsocketCommunicator for `path`, signed in as `user` through a real session cookie (None: anonymous)."""
    headers = [(b"origin", origin)]
    if user is not None:
        cookie = await database_sync_to_async(login_cookie)(user, second_factor=second_factor)
        headers.append((b"cookie", cookie.encode()))
    return WebsocketCommunicator(application or chat_application(), path, headers=headers)


def chat_path(conversation, session=None) -> str:
    if session is None:
        return f"/ws/chat/{conversation.pk}/"
    return f"/ws/chat/{conversation.pk}/session/{session.pk}/"


async def joined_socket(application, user, conversation, session=None):
    """A connected chat socket of `user`, past its "hello" frame."""
    socket = await chat_socket(application, user, chat_path(conversation, session))
    assert (await socket.connect())[0]
    assert (await socket.receive_json_from(timeout=3))["type"] == "hello"
    return socket
