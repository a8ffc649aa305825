"""The real consent gate where booking and the chat socket call it (no stub for consent here).

The other features' gates (identity, licence) are opened where sessions.selectors imports them, so
what refuses or allows below is the consent gate alone.
"""

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async

from consent.services import consent_withdraw
from counseling.clock import now
from counseling.gates import GateResult
from tests.consent.conftest import accept_current
from tests.sessions.chat_helpers import chat_application, chat_path, chat_socket, open_session


def _open_other_gates(monkeypatch):
    for name in ("identity_gate", "jurisdiction_gate"):
        monkeypatch.setattr(f"sessions.selectors.{name}", lambda **kw: GateResult.ok())


@pytest.mark.django_db
def test_a_client_who_has_not_consented_is_refused_booking(client_a, counselor_a, monkeypatch):
    from sessions.selectors import booking_gate
    from sessions.services import BookingError, session_book

    _open_other_gates(monkeypatch)
    refused = booking_gate(client=client_a, counselor=counselor_a, starts_at=now() + timedelta(days=2))
    assert not refused and refused.reason == "consent_missing"
    assert refused.action_url == f"/consent/?counselor={counselor_a.pk}"
    with pytest.raises(BookingError) as error:
        session_book(client=client_a, counselor=counselor_a, starts_at=now() + timedelta(days=2))
    assert error.value.code == "consent_missing"

    accept_current(client_a, counselor=counselor_a)
    passed = booking_gate(client=client_a, counselor=counselor_a, starts_at=now() + timedelta(days=2))
    assert passed.reason not in {"consent_missing", "consent_outdated", "consent_counselor_disclosure"}


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_client_who_has_not_consented_is_refused_the_chat_socket(client_a, counselor_a, monkeypatch):
    _open_other_gates(monkeypatch)
    application = chat_application()
    conversation, session = await database_sync_to_async(open_session)(client_a, counselor_a)
    socket = await chat_socket(application, client_a, chat_path(conversation, session))
    await socket.connect()
    error = await socket.receive_json_from(timeout=3)
    assert error["code"] == "gate_refused" and error["reason"] == "consent_missing"
    assert error["action_url"] == f"/consent/?counselor={counselor_a.pk}"
    assert (await socket.receive_output(timeout=3))["code"] == 4409


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_withdrawal_closes_open_chat_sockets(client_a, counselor_a, monkeypatch):
    _open_other_gates(monkeypatch)
    application = chat_application()
    conversation, session = await database_sync_to_async(open_session)(client_a, counselor_a)
    await database_sync_to_async(accept_current)(client_a, counselor=counselor_a)
    sockets = []
    for path in (chat_path(conversation, session), chat_path(conversation)):  # the session chat, and messages
        socket = await chat_socket(application, client_a, path)
        connected, _ = await socket.connect()
        assert connected and (await socket.receive_json_from(timeout=3))["type"] == "hello"
        sockets.append(socket)

    await sync_to_async(consent_withdraw)(client=client_a)

    session_error = await sockets[0].receive_json_from(timeout=3)
    # The open session was cancelled by the withdrawal, so its chat reports that first.
    assert session_error["code"] == "gate_refused" and session_error["reason"] == "session_not_open"
    messages_error = await sockets[1].receive_json_from(timeout=3)
    assert messages_error["code"] == "gate_refused" and messages_error["reason"] == "consent_withdrawn"
    for socket in sockets:
        assert (await socket.receive_output(timeout=3))["code"] == 4409
    await database_sync_to_async(session.refresh_from_db)()
    assert session.state == "cancelled"
