"""The real jurisdiction gate on the session chat socket: an ineligible pair is refused with the reason."""

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async

from counseling.clock import now
from counseling.gates import GateResult
from sessions.models import Conversation, CounselingSession
from tests.licensing.factories import licence, licensed_in_indonesia
from tests.sessions.chat_helpers import chat_application, chat_path, chat_socket

application = chat_application()

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


@pytest.fixture
def other_gates_open(monkeypatch):
    for name in ("consent_gate", "identity_gate"):
        monkeypatch.setattr(f"sessions.selectors.{name}", lambda **kw: GateResult.ok())


def session_in(client_user, counselor, country, region, *, permit=True):
    today = now().date()
    dates = {"valid_from": today - timedelta(days=30), "expires_on": today + timedelta(days=300)}
    if permit:
        licensed_in_indonesia(counselor, **dates)
    else:
        licence(counselor, "ID", **dates)
    start = now() - timedelta(minutes=5)
    session = CounselingSession.objects.create(
        client=client_user,
        counselor=counselor,
        starts_at=start,
        ends_at=start + timedelta(minutes=50),
        state="open",
        location_country=country,
        location_region=region,
        location_confirmed_at=now(),
    )
    conversation, _ = Conversation.objects.get_or_create(client=client_user, counselor=counselor)
    return conversation, session


async def test_the_chat_refuses_a_counselor_not_licensed_where_the_client_confirmed_being(
    client_a, counselor_a, other_gates_open
):
    conversation, session = await database_sync_to_async(session_in)(client_a, counselor_a, "US", "US-TX")
    socket = await chat_socket(application, client_a, chat_path(conversation, session))
    connected, _ = await socket.connect()
    assert connected  # accepted only to say why
    error = await socket.receive_json_from(timeout=3)
    assert (error["code"], error["reason"]) == ("gate_refused", "no_licence_there")
    # In the client's language (client_a prefers Indonesian).
    assert error["message"].startswith(
        (
            "This counselor holds no licence for the place where you are.",
            "Konselor ini tidak memiliki izin untuk tempat Anda berada.",
        )
    )
    assert error["action_url"] == "/licensing/counselors/"  # choose another counselor
    assert (await socket.receive_output(timeout=3))["code"] == 4409


async def test_the_chat_opens_when_the_licence_covers_the_confirmed_place(client_a, counselor_a, other_gates_open):
    conversation, session = await database_sync_to_async(session_in)(client_a, counselor_a, "ID", "ID-YO")
    socket = await chat_socket(application, client_a, chat_path(conversation, session))
    connected, _ = await socket.connect()
    assert connected
    assert (await socket.receive_json_from(timeout=3))["type"] == "hello"
    await socket.disconnect()


async def test_the_counselor_missing_a_permit_is_told_what_is_missing_and_sent_to_their_licences(
    client_a, counselor_a, other_gates_open
):
    conversation, session = await database_sync_to_async(session_in)(client_a, counselor_a, "ID", "ID-YO", permit=False)
    socket = await chat_socket(application, counselor_a, chat_path(conversation, session))
    connected, _ = await socket.connect()
    assert connected
    error = await socket.receive_json_from(timeout=3)
    assert (error["code"], error["reason"]) == ("gate_refused", "credential_missing")
    assert error["message"].startswith("You may not counsel clients in ")
    assert "SIPPK" in error["message"]
    assert error["action_url"] == "/licensing/mine/"
    assert (await socket.receive_output(timeout=3))["code"] == 4409
