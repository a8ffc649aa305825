"""A cover on the chat socket: the client's open page is told who answers and why; the cover reads from its first
readable message, replies as themselves, marks only the client's messages read, and is closed out the moment the
escalation is resolved or their time runs out."""

import uuid
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async

from counseling import clock
from crisis.models import Escalation, OnCallShift
from crisis.selectors import access_emergency_card
from crisis.services import cover_pickup, escalation_resolve, overdue_replies_open
from sessions.chat.services import message_post
from sessions.models import ConversationCover, Message
from tests.conftest import make_counselor
from tests.counseling.test_escalation_support import eager_celery, make_session  # noqa: F401
from tests.sessions.chat_helpers import chat_application, chat_path, chat_socket, joined_socket, open_gates

application = chat_application()

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_celery")]


@pytest.fixture
def waiting(client_a, counselor_a, monkeypatch):
    """A client's message between sessions left unanswered past the promise, its escalation on the on-call rung,
    and the on-call counselor: (conversation, message, escalation, on_call)."""
    open_gates(monkeypatch)
    on_call = make_counselor("oncall@staff.test", "Dewi On Call")
    start = clock.now() - timedelta(hours=1)
    OnCallShift.objects.create(user=on_call, role="on_call", starts_at=start, ends_at=start + timedelta(days=7))
    session = make_session(client_a, counselor_a, region="ID-YO", at=clock.now() - timedelta(days=2))
    session.state = "completed"
    session.save()
    conversation = session.client.client_conversations.create(counselor=counselor_a)
    message_post(conversation=conversation, sender=counselor_a, client_msg_id=uuid.uuid4(), body="See you Monday.")
    message, _ = message_post(conversation=conversation, sender=client_a, client_msg_id=uuid.uuid4(), body="Help?")
    overdue_replies_open(at=message.reply_due_at + timedelta(minutes=1))
    conversation.refresh_from_db()
    return conversation, message, Escalation.objects.get(message=message), on_call


def pick_up(user, escalation):
    access = access_emergency_card(user=user, escalation_id=escalation.pk)
    return cover_pickup(user=user, escalation=access.escalation, basis=access.basis)


async def next_frame(socket, kind):
    while (frame := await socket.receive_json_from(timeout=3))["type"] != kind:
        pass
    return frame


@pytest.mark.asyncio
async def test_the_client_page_is_told_and_the_cover_answers_on_the_socket(waiting, client_a, counselor_a):
    conversation, message, escalation, on_call = waiting
    client = await joined_socket(application, client_a, conversation)
    counselor = await joined_socket(application, counselor_a, conversation)
    cover = await database_sync_to_async(pick_up)(on_call, escalation)

    # Each in their own language: client A reads Indonesian; counselor A chose none, so the socket speaks English.
    told = await next_frame(client, "cover")
    assert told["user"] == on_call.pk and told["name"] == "Dewi On Call (konselor jaga)"
    assert told["text"].startswith("Dewi On Call, konselor jaga, menjawab untuk Counselor A sampai pukul ")
    assert (await next_frame(counselor, "cover"))["text"].startswith(
        "Dewi On Call, the on-call counselor, is answering your client until "
    )

    socket = await chat_socket(application, on_call, chat_path(conversation))
    assert (await socket.connect())[0]
    hello = await socket.receive_json_from(timeout=3)
    assert hello["type"] == "hello" and hello["from_seq"] == cover.from_seq == 1
    await socket.send_json_to({"type": "resync", "after_seq": 0})
    history = await next_frame(socket, "history")
    assert [m["body"] for m in history["messages"]] == ["See you Monday.", "Help?"]

    await socket.send_json_to({"type": "send", "client_msg_id": str(uuid.uuid4()), "body": "I'm Dewi, on call."})
    ack = await next_frame(socket, "ack")
    got = await next_frame(client, "message")
    assert (got["seq"], got["sender"], got["body"]) == (ack["seq"], on_call.pk, "I'm Dewi, on call.")
    await socket.send_json_to({"type": "read", "up_to_seq": ack["seq"]})
    await next_frame(client, "read")

    await database_sync_to_async(message.refresh_from_db)()
    assert message.answered_at is not None and message.read_at is not None
    counselors = await database_sync_to_async(Message.objects.get)(conversation=conversation, seq=1)
    assert counselors.read_at is None  # the cover reading is not the client reading the counselor's message

    # Resolved: the cover hands back at once; the client's socket stays.
    await database_sync_to_async(escalation_resolve)(escalation=escalation, user=on_call, note="Client safe.")
    closed = await next_frame(socket, "error")
    assert closed["code"] == "gate_refused" and closed["reason"] == "forbidden"
    assert (await socket.receive_output(timeout=3))["type"] == "websocket.close"
    await client.send_json_to({"type": "ping"})
    assert (await next_frame(client, "pong")) == {"type": "pong"}
    for open_socket in (client, counselor):
        await open_socket.disconnect()


@pytest.mark.asyncio
async def test_the_cover_socket_closes_when_its_time_runs_out(waiting):
    conversation, _message, escalation, on_call = waiting
    cover = await database_sync_to_async(pick_up)(on_call, escalation)
    # As if picked up COVER_MINUTES ago: its time runs out a moment after the socket opens.
    ends = clock.now() + timedelta(seconds=1)
    await database_sync_to_async(ConversationCover.objects.filter(pk=cover.pk).update)(
        started_at=ends - timedelta(minutes=60), ends_at=ends
    )
    socket = await joined_socket(application, on_call, conversation)
    await socket.send_json_to({"type": "ping"})
    assert (await socket.receive_json_from(timeout=1)) == {"type": "pong"}  # open until then
    closed = await next_frame(socket, "error")  # no event: the socket's own timer re-checks at the end
    assert closed["code"] == "gate_refused" and closed["reason"] == "forbidden"
    assert (await socket.receive_output(timeout=3))["type"] == "websocket.close"


@pytest.mark.asyncio
async def test_a_counselor_who_holds_nothing_cannot_open_the_socket(waiting):
    conversation, _message, _escalation, _on_call = waiting
    bystander = await database_sync_to_async(make_counselor)("other@staff.test", "Other")
    socket = await chat_socket(application, bystander, chat_path(conversation))
    connected, code = await socket.connect()
    assert not connected and code == 4403
