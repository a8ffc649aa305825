"""Fault with real services: PostgreSQL goes away under a running server, then comes back.

The shared PostgreSQL is never restarted (other people's tests use it). Instead a real ASGI process (Uvicorn,
the production settings: DEBUG off, persistent connections) reaches the database through a TCP proxy of our
own, and the proxy is cut: every open database connection dies and new ones are refused, exactly what the
server sees during a PostgreSQL restart. Then the proxy listens again.

While the database is gone: pages answer 500 with Django's plain error page (no traceback, no SQL, no
database address, no client data); a chat socket that was open answers a send with an error frame naming
the message (never an ack), and a new socket is refused. When it is back: pages and the chat work again
without restarting the server.

What was lost, asserted: nothing. The message acknowledged before the outage is there; the one refused
during it is stored exactly once after the browser's outbox resends it.
"""

import asyncio
import os
import time
import urllib.error
import urllib.request

import pytest
from django.conf import settings
from django.db import connection

from tests.faults.support import Peer, TcpProxy, _server_env, fault_server, needs_real_services, stored_ids
from tests.sessions.chat_helpers import login_cookie, open_session

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]

LEAKS = [b"Traceback", b"OperationalError", b"psycopg", b"connection to server", b"DATABASES", b"SELECT "]


@pytest.fixture
def proxied_server(transactional_db):
    needs_real_services(postgres=True)
    if connection.vendor != "postgresql":
        pytest.skip("this fault test needs PostgreSQL: set DATABASE_URL, as .ci/run does")
    db = connection.settings_dict
    proxy = TcpProxy(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)).restore()
    env = _server_env(os.environ["REDIS_URL"])
    env.update(
        DATABASE_URL=f"postgresql://{db['USER']}:{db['PASSWORD']}@127.0.0.1:{proxy.port}/{db['NAME']}",
        DEBUG="0",
        HTTPS="0",
        DB_CONN_MAX_AGE="60",
        SECRET_KEY=settings.SECRET_KEY,
        FIELD_ENCRYPTION_KEYS=settings.FIELD_ENCRYPTION_KEYS,
        LOG_LEVEL="CRITICAL",
    )
    server = fault_server("uvicorn", env).start()
    yield server, proxy
    server.stop()
    proxy.close()


def _get(server, path: str, cookie: str) -> tuple[int, bytes]:
    request = urllib.request.Request(f"http://127.0.0.1:{server.port}{path}", headers={"Cookie": cookie})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_database_gone_pages_and_chat_fail_cleanly_and_recover_with_nothing_lost(proxied_server, client_a, counselor_a):
    server, proxy = proxied_server
    conversation, session = open_session(client_a, counselor_a)
    cookie = login_cookie(client_a)
    client = Peer("client", cookie, f"/ws/chat/{conversation.pk}/session/{session.pk}/")

    status, _ = _get(server, "/client/", cookie)
    assert status == 200

    async def before_and_during():
        await client.connect(server)
        first = client.new_message("sebelum database mati")
        await client.send_outbox()
        assert await client.pump(lambda p: not p.outbox)
        proxy.cut()  # PostgreSQL is gone: open connections die, new ones are refused
        during = client.new_message("selama database mati")
        await client.send_outbox()
        answered = await client.pump(
            lambda p: any(e.get("client_msg_id") == during for e in p.errors), timeout=30, retry_after=3600
        )
        await client.close()
        return first, during, answered

    first, during, answered = asyncio.run(before_and_during())
    assert answered, "a send during the outage got no answer"
    assert during not in client.acked, "a message was acknowledged while the database was gone"
    error = next(e for e in client.errors if e.get("client_msg_id") == during)
    assert error["code"] == "server_error" and error["message"]

    status, body = _get(server, "/client/", cookie)
    assert status == 500
    assert all(leak not in body for leak in LEAKS), body[:500]
    assert b"client a" not in body.lower() and client_a.email.encode() not in body

    async def new_socket_refused():
        try:
            await Peer("client", cookie, client.path).connect(server, within=0)
        except Exception:
            return True
        return False

    assert asyncio.run(new_socket_refused()), "a new chat socket opened while the database was gone"

    proxy.restore()  # PostgreSQL is back
    deadline = time.monotonic() + 30
    while (status := _get(server, "/client/", cookie)[0]) != 200 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert status == 200, "pages did not recover after the database came back"

    async def after():
        await client.connect(server)
        await client.resync(after=0)
        await client.send_outbox()  # chat.js resends what was never acknowledged
        assert await client.pump(lambda p: not p.outbox), client.errors[-3:]
        await client.close()

    asyncio.run(after())
    stored = stored_ids(conversation)
    assert stored == [first, during]  # lost: nothing; stored twice: nothing
