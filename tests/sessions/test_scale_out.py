"""Two real ASGI server processes (Daphne and Uvicorn) on the Redis channel layer: the chat works across them,
and a message acknowledged before a server is killed is there after the restart.

Needs REDIS_URL (CI sets it). The servers share this test run's database (PostgreSQL in CI, the SQLite
file otherwise) and Redis, like two web processes in docker-compose.yml.
"""

import asyncio
import json
import os
import signal
import uuid

import pytest
from django.db import connection

from tests.servers import ROOT, AsgiServer
from tests.sessions.chat_helpers import login_cookie, open_session

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]

APP = "tests.sessions.chat_scale_out_asgi:application"


def _server_env(redis_url: str) -> dict:
    env = dict(os.environ, REDIS_URL=redis_url, EMBEDDED_SCHEDULER="0", PYTHONPATH=str(ROOT))
    db = connection.settings_dict
    if db["ENGINE"].endswith("postgresql"):
        env["DATABASE_URL"] = (
            f"postgresql://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
    else:
        env.pop("DATABASE_URL", None)
        env["SQLITE_PATH"] = str(db["NAME"])
    return env


def scale_out_server(kind: str, env: dict, port: int | None = None) -> AsgiServer:
    return AsgiServer(kind, env, app=APP, port=port)


@pytest.fixture
def servers(redis_url, transactional_db):
    env = _server_env(redis_url)
    started = [scale_out_server("daphne", env).start(), scale_out_server("uvicorn", env).start()]
    yield started
    for server in started:
        server.stop()


@pytest.fixture
def chat(client_a, counselor_a):
    conversation, session = open_session(client_a, counselor_a)
    return conversation, session, login_cookie(client_a), login_cookie(counselor_a)


async def _open(server, path, cookie):
    from websockets.asyncio.client import connect

    ws = await connect(
        server.ws(path),
        origin=f"http://127.0.0.1:{server.port}",
        additional_headers={"Cookie": cookie},
        open_timeout=10,
    )
    hello = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert hello["type"] == "hello"
    return ws


async def _next(ws, kind, timeout=10):
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if frame["type"] == kind:
            return frame


def test_a_client_on_daphne_and_a_counselor_on_uvicorn_chat_through_redis(servers, chat):
    daphne, uvicorn = servers
    conversation, session, client_cookie, counselor_cookie = chat
    path = f"/ws/chat/{conversation.pk}/session/{session.pk}/"

    async def scenario():
        client = await _open(daphne, path, client_cookie)
        counselor = await _open(uvicorn, path, counselor_cookie)
        await client.send(json.dumps({"type": "send", "client_msg_id": str(uuid.uuid4()), "body": "dari Daphne"}))
        assert (await _next(client, "ack"))["seq"] == 1
        assert (await _next(counselor, "message"))["body"] == "dari Daphne"
        await counselor.send(json.dumps({"type": "send", "client_msg_id": str(uuid.uuid4()), "body": "from Uvicorn"}))
        assert (await _next(client, "message"))["body"] == "from Uvicorn"
        await client.send(json.dumps({"type": "read", "up_to_seq": 2}))
        assert (await _next(counselor, "read"))["up_to_seq"] == 2
        await client.close()
        await counselor.close()

    asyncio.run(scenario())


def test_a_message_acknowledged_before_the_server_is_killed_is_there_after_restart(servers, chat):
    daphne, uvicorn = servers
    conversation, session, client_cookie, counselor_cookie = chat
    path = f"/ws/chat/{conversation.pk}/session/{session.pk}/"
    msg_id = str(uuid.uuid4())

    async def send_then_die():
        client = await _open(uvicorn, path, client_cookie)
        await client.send(json.dumps({"type": "send", "client_msg_id": msg_id, "body": "jangan hilang"}))
        ack = await _next(client, "ack")
        uvicorn.kill()  # at once after the ack: no graceful shutdown, no flush
        return ack

    ack = asyncio.run(send_then_die())
    assert uvicorn.process.returncode == -signal.SIGKILL
    restarted = scale_out_server("uvicorn", uvicorn.env, port=uvicorn.port).start()
    servers.append(restarted)

    async def after_restart():
        client = await _open(restarted, path, client_cookie)
        await client.send(json.dumps({"type": "resync", "after_seq": 0}))
        history = await _next(client, "history")
        counselor = await _open(daphne, path, counselor_cookie)
        await counselor.send(json.dumps({"type": "resync", "after_seq": 0}))
        theirs = await _next(counselor, "history")
        # Resending the same id after the crash (the browser's outbox does) stores nothing new.
        await client.send(json.dumps({"type": "send", "client_msg_id": msg_id, "body": "jangan hilang"}))
        again = await _next(client, "ack")
        await client.close()
        await counselor.close()
        return history, theirs, again

    history, theirs, again = asyncio.run(after_restart())
    assert [(m["seq"], m["client_msg_id"], m["body"]) for m in history["messages"]] == [
        (ack["seq"], msg_id, "jangan hilang")
    ]
    assert theirs["messages"][0]["body"] == "jangan hilang"
    assert again["duplicate"] is True and again["seq"] == ack["seq"]
