"""The chat socket signs a person out after inactivity as a page does (counseling.inactivity; ACA H.2.c,
HIPAA 164.312(a)(2)(iii)): a phone left with the chat open does not stay signed in, and someone chatting
is not signed out of the site's pages for it."""

import asyncio
import uuid
from importlib import import_module

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.contrib.auth import SESSION_KEY

from counseling.clock import now
from counseling.inactivity import SESSION_KEY as ACTIVITY_KEY
from counseling.models import AuditEntry
from sessions.models import Message
from tests.sessions.chat_helpers import ORIGIN, chat_application, chat_path, login_cookie

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

application = chat_application()


def _session_store(cookie: str):
    key = cookie.split("=", 1)[1]
    return import_module(django_settings.SESSION_ENGINE).SessionStore(session_key=key)


@database_sync_to_async
def _signed_in(user, *, active_seconds_ago: float | None) -> str:
    """A real signed-in session cookie whose last recorded activity was `active_seconds_ago`."""
    cookie = login_cookie(user)
    if active_seconds_ago is not None:
        session = _session_store(cookie)
        session[ACTIVITY_KEY] = now().timestamp() - active_seconds_ago
        session.save()
    return cookie


async def _socket(cookie, conversation, session):
    return WebsocketCommunicator(
        application, chat_path(conversation, session), headers=[(b"origin", ORIGIN), (b"cookie", cookie.encode())]
    )


async def _open_chat(user, conversation, session):
    """A chat socket of `user`, signed in and active just now, past its "hello" frame: (cookie, socket)."""
    cookie = await _signed_in(user, active_seconds_ago=0)
    socket = await _socket(cookie, conversation, session)
    assert (await socket.connect())[0]
    assert (await socket.receive_json_from(timeout=3))["type"] == "hello"
    return cookie, socket


async def _until_signed_out(socket, timeout: float):
    """Frames until the signed_out error (other frames, such as messages, may come first)."""
    while True:
        frame = await socket.receive_json_from(timeout=timeout)
        if frame["type"] == "error" and frame["code"] == "signed_out":
            return frame


@database_sync_to_async
def _inactivity_sign_outs(user) -> list[dict]:
    return list(
        AuditEntry.objects.filter(action="auth.logout.inactivity", actor_id=user.pk).values_list("detail", flat=True)
    )


@database_sync_to_async
def _session_has_user(cookie) -> bool:
    return SESSION_KEY in _session_store(cookie).load()


async def test_a_socket_opened_after_the_timeout_signs_the_person_out(chat, client_a, settings):
    settings.INACTIVITY_TIMEOUT_SECONDS = 900
    conversation, session = chat
    cookie = await _signed_in(client_a, active_seconds_ago=901)
    socket = await _socket(cookie, conversation, session)
    assert (await socket.connect())[0]  # accepted only to say why, then closed
    frame = await _until_signed_out(socket, timeout=3)
    assert frame["message"] == "Anda telah dikeluarkan karena tidak ada aktivitas."  # client A reads Indonesian
    assert frame["action_url"] == f"/accounts/login/?next=%2Fsessions%2F{session.pk}%2Fchat%2F&signed_out=inactive"
    assert (await socket.receive_output(timeout=3))["code"] == 4401
    assert not await _session_has_user(cookie)  # signed out of the pages too
    assert await _inactivity_sign_outs(client_a) == [{"via": "chat"}]


async def test_an_idle_socket_is_signed_out_when_the_timeout_passes(chat, client_a, counselor_a, settings):
    settings.INACTIVITY_TIMEOUT_SECONDS = 2
    conversation, session = chat
    cookie, socket = await _open_chat(client_a, conversation, session)
    assert await socket.receive_nothing(timeout=1.5)  # not before the timeout
    await _until_signed_out(socket, timeout=3)
    assert (await socket.receive_output(timeout=3))["code"] == 4401
    assert not await _session_has_user(cookie)
    assert await _inactivity_sign_outs(client_a) == [{"via": "chat"}]


async def test_chatting_keeps_the_person_signed_in_on_the_socket_and_the_pages(chat, client_a, counselor_a, settings):
    settings.INACTIVITY_TIMEOUT_SECONDS = 2
    conversation, session = chat
    cookie, socket = await _open_chat(client_a, conversation, session)
    for n in range(8):  # 4 s of writing, twice the timeout
        await socket.send_json_to({"type": "send", "client_msg_id": str(uuid.uuid4()), "body": f"still here {n}"})
        assert (await socket.receive_json_from(timeout=3))["type"] == "ack"
        await asyncio.sleep(0.5)
    assert await _session_has_user(cookie)
    recorded = await database_sync_to_async(lambda: _session_store(cookie).load()[ACTIVITY_KEY])()
    assert now().timestamp() - recorded < 1.5  # what the pages' own check reads
    assert await _inactivity_sign_outs(client_a) == []
    await socket.disconnect()


async def test_read_receipts_and_resyncs_alone_do_not_count_as_activity(chat, client_a, settings):
    """The page sends them by itself, so a device left open with the chat would otherwise never sign out."""
    settings.INACTIVITY_TIMEOUT_SECONDS = 2
    conversation, session = chat
    _cookie, socket = await _open_chat(client_a, conversation, session)
    started = asyncio.get_running_loop().time()
    while asyncio.get_running_loop().time() - started < 5:  # what a page left open sends, every half second
        for automatic in ({"type": "read", "up_to_seq": 0}, {"type": "resync", "after_seq": 0}, {"type": "ping"}):
            await socket.send_json_to(automatic)
        frame = await socket.receive_json_from(timeout=3)
        while frame["type"] == "history":
            frame = await socket.receive_json_from(timeout=3)
        if frame["type"] == "error":
            break
        assert frame["type"] == "pong"
        await asyncio.sleep(0.5)
    assert frame["code"] == "signed_out"
    assert asyncio.get_running_loop().time() - started < 3.5  # the timeout (2 s), not extended by them


async def test_activity_on_the_pages_keeps_the_socket_open(chat, client_a, settings):
    """Someone reading their consent or booking in another tab is active: the socket asks the session first."""
    settings.INACTIVITY_TIMEOUT_SECONDS = 2
    conversation, session = chat
    cookie, socket = await _open_chat(client_a, conversation, session)
    for _ in range(4):  # a page request every second, as the middleware records it
        await asyncio.sleep(1)
        await _signed_in_again(cookie)
    assert await socket.receive_nothing(timeout=0.2)
    assert await _session_has_user(cookie)
    await socket.disconnect()


@database_sync_to_async
def _signed_in_again(cookie):
    session = _session_store(cookie)
    session[ACTIVITY_KEY] = now().timestamp()
    session.save()


async def test_signing_out_on_a_page_closes_the_socket_at_its_next_check(chat, client_a, settings):
    settings.INACTIVITY_TIMEOUT_SECONDS = 2
    conversation, session = chat
    cookie, socket = await _open_chat(client_a, conversation, session)
    await database_sync_to_async(lambda: _session_store(cookie).flush())()
    frame = await _until_signed_out(socket, timeout=4)
    assert frame["message"] == "Anda sudah keluar. Masuk lagi untuk melanjutkan."
    assert (await socket.receive_output(timeout=3))["code"] == 4401
    assert await _inactivity_sign_outs(client_a) == []  # not an inactivity sign-out: nothing to audit twice
    assert not await database_sync_to_async(Message.objects.exists)()
