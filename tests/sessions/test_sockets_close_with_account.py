"""Open sockets do not outlive the account's state: signing out, deactivation, a new password and a new role
close every socket of the person (the chat and the notifications) within a second, each with its signed-out
frame; anything else leaves them working (counseling.receivers, counseling.consumers.user_sockets_group)."""

import uuid
from importlib import import_module

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from counseling.clock import now
from counseling.inactivity import SESSION_KEY as ACTIVITY_KEY
from counseling.models import AuditEntry, Role, User
from records.services import client_shred
from tests.sessions.chat_helpers import ORIGIN, chat_application, chat_path, login_cookie

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

application = chat_application()
NOTIFICATIONS = "/ws/notifications/"


async def _socket(cookie: str, path: str, *, client=None, forwarded=None) -> WebsocketCommunicator:
    headers = [(b"origin", ORIGIN), (b"cookie", cookie.encode())]
    if forwarded:
        headers.append((b"x-forwarded-for", forwarded.encode()))
    socket = WebsocketCommunicator(application, path, headers=headers)
    if client:
        socket.scope["client"] = client
    assert (await socket.connect())[0]
    return socket


async def _chat(cookie, conversation, session, **kwargs) -> WebsocketCommunicator:
    socket = await _socket(cookie, chat_path(conversation, session), **kwargs)
    assert (await socket.receive_json_from(timeout=3))["type"] == "hello"
    return socket


async def _sockets_of(user, conversation, session):
    """A signed-in session of `user` with a chat socket and a notification socket: (cookie, chat, notifications)."""
    cookie = await database_sync_to_async(login_cookie)(user)
    return cookie, await _chat(cookie, conversation, session), await _socket(cookie, NOTIFICATIONS)


async def _closed_signed_out(chat, notifications):
    """Both sockets say "signed out" and close with 4401 within a second."""
    frame = await chat.receive_json_from(timeout=1)
    assert (frame["type"], frame["code"]) == ("error", "signed_out")
    assert (await chat.receive_output(timeout=1)) == {"type": "websocket.close", "code": 4401}
    assert (await notifications.receive_json_from(timeout=1))["type"] == "signed_out"
    assert (await notifications.receive_output(timeout=1)) == {"type": "websocket.close", "code": 4401}


async def _still_working(chat, notifications):
    await chat.send_json_to({"type": "send", "client_msg_id": str(uuid.uuid4()), "body": "still here"})
    assert (await chat.receive_json_from(timeout=3))["type"] == "ack"
    await notifications.send_json_to({"type": "ping"})
    assert (await notifications.receive_json_from(timeout=3)) == {"type": "pong"}


@database_sync_to_async
def _sign_out(cookie: str) -> None:
    browser = Client()
    browser.cookies[django_settings.SESSION_COOKIE_NAME] = cookie.split("=", 1)[1]
    assert browser.post(reverse("logout")).status_code == 302


@database_sync_to_async
def _change(user_id: int, **fields) -> None:
    user = User.objects.get(pk=user_id)
    password = fields.pop("password", None)
    if password:
        user.set_password(password)
    for name, value in fields.items():
        setattr(user, name, value)
    user.save()


async def test_signing_out_closes_the_sockets_of_that_session_only(chat, client_a):
    conversation, session = chat
    cookie, chat_socket, notifications = await _sockets_of(client_a, conversation, session)
    _other_cookie, other_chat, other_notifications = await _sockets_of(client_a, conversation, session)
    await _sign_out(cookie)
    await _closed_signed_out(chat_socket, notifications)
    # Signed in on another device still: that one keeps working.
    await _still_working(other_chat, other_notifications)
    for socket in (chat_socket, notifications, other_chat, other_notifications):
        await socket.disconnect()


@database_sync_to_async
def _page_after_inactivity(cookie: str) -> None:
    key = cookie.split("=", 1)[1]
    session = import_module(django_settings.SESSION_ENGINE).SessionStore(session_key=key)
    session[ACTIVITY_KEY] = now().timestamp() - django_settings.INACTIVITY_TIMEOUT_SECONDS - 5
    session.save()
    browser = Client()
    browser.cookies[django_settings.SESSION_COOKIE_NAME] = key
    assert browser.get(reverse("client_home")).status_code == 302


async def test_a_page_signing_out_after_inactivity_closes_the_sessions_sockets_saying_why(chat, client_a):
    conversation, session = chat
    cookie, chat_socket, notifications = await _sockets_of(client_a, conversation, session)
    await _page_after_inactivity(cookie)
    frame = await chat_socket.receive_json_from(timeout=1)
    assert (frame["code"], frame["action_url"].endswith("signed_out=inactive")) == ("signed_out", True)
    assert (await notifications.receive_json_from(timeout=1)) == {"type": "signed_out", "reason": "inactive"}
    for socket in (chat_socket, notifications):
        await socket.disconnect()


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"is_active": False}, id="deactivated"),
        pytest.param({"password": "a-brand-new-password-77"}, id="password changed"),
        pytest.param({"role": Role.COUNSELOR}, id="role changed"),
    ],
)
async def test_a_change_of_the_account_closes_every_socket_of_the_person(chat, client_a, change):
    conversation, session = chat
    _cookie, chat_socket, notifications = await _sockets_of(client_a, conversation, session)
    _cookie2, other_chat, other_notifications = await _sockets_of(client_a, conversation, session)
    await _change(client_a.pk, **change)
    await _closed_signed_out(chat_socket, notifications)
    await _closed_signed_out(other_chat, other_notifications)
    for socket in (chat_socket, notifications, other_chat, other_notifications):
        await socket.disconnect()


async def test_the_retention_engine_deactivating_a_client_closes_their_sockets(chat, client_a):
    conversation, session = chat
    _cookie, chat_socket, notifications = await _sockets_of(client_a, conversation, session)
    await database_sync_to_async(client_shred)(client_id=client_a.pk, rule="test", actor=None)
    await _closed_signed_out(chat_socket, notifications)
    for socket in (chat_socket, notifications):
        await socket.disconnect()


async def test_other_changes_and_other_peoples_changes_leave_the_sockets_working(chat, client_a, counselor_a):
    conversation, session = chat
    _cookie, chat_socket, notifications = await _sockets_of(client_a, conversation, session)
    counselor_cookie = await database_sync_to_async(login_cookie)(counselor_a)
    counselor_chat = await _chat(counselor_cookie, conversation, session)
    await _change(client_a.pk, language="en")  # a save that changes nothing the sockets rest on
    await _change(counselor_a.pk, password="another-new-password-88")  # someone else's account
    await _sign_out(await database_sync_to_async(login_cookie)(client_a))  # another session of the same person
    assert await chat_socket.receive_nothing(timeout=1)
    assert await notifications.receive_nothing(timeout=0.2)
    await _still_working(chat_socket, notifications)
    assert (await counselor_chat.receive_json_from(timeout=1))["type"] == "error"  # the counselor's own closed
    for socket in (chat_socket, notifications, counselor_chat):
        await socket.disconnect()


async def test_the_chat_socket_records_the_real_client_address_behind_the_proxy(chat, client_a, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    conversation, session = chat
    cookie = await database_sync_to_async(login_cookie)(client_a)
    socket = await _chat(cookie, conversation, session, client=("10.0.0.2", 50123), forwarded="1.2.3.4, 198.51.100.7")
    entry = await database_sync_to_async(AuditEntry.objects.get)(action="chat.open", actor_id=client_a.pk)
    assert entry.ip_address == "198.51.100.7"
    await socket.disconnect()
