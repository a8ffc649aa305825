"""Shared pieces of the fault tests: our own Redis server, a TCP proxy in front of PostgreSQL that we can
cut, and a chat peer that behaves like static/js/chat.js (outbox resent after reconnect, resync from the
last sequence number seen). Not a test module.

The machine's shared Redis and PostgreSQL are never restarted: other people's tests run on them.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import uuid

import pytest

from tests.servers import ROOT, AsgiServer, free_port
from tests.sessions.test_scale_out import APP, _server_env  # noqa: F401  (the scale-out tests' servers)

LOG_DIR = ROOT / "var" / "fault-logs"


def fault_server(kind: str, env: dict, port: int | None = None) -> AsgiServer:
    """The scale-out tests' server, with its output kept in var/fault-logs/ to read when a fault test fails."""
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    return AsgiServer(kind, env, app=APP, port=port, log=LOG_DIR / f"{kind}-{port}.log")


def needs_real_services(*, postgres: bool = False):
    """Skip unless CI's real services are configured (these run with them only)."""
    if not os.environ.get("REDIS_URL"):
        pytest.skip("fault tests need the real services: set REDIS_URL (and DATABASE_URL), as .ci/run does")
    if postgres and not os.environ.get("DATABASE_URL"):
        pytest.skip("this fault test needs PostgreSQL: set DATABASE_URL, as .ci/run does")


class OwnRedis:
    """A redis-server of our own on a free loopback port, without persistence: restarting it loses everything,
    like a crashed Redis."""

    def __init__(self):
        self.binary = shutil.which("redis-server")
        if not self.binary:
            pytest.skip("redis-server is not installed")
        self.port = free_port()
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("own redis-server did not start")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.kill()  # a crash, not a clean shutdown
            self.process.wait(timeout=10)


class TcpProxy:
    """127.0.0.1:<port> -> target. `cut()` closes every connection and stops listening (the database is
    gone, as in a restart); `restore()` listens again. Runs its own event loop in a thread."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.server = None
        self.writers: set = set()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    async def _pipe(self, reader, writer):
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _handle(self, client_reader, client_writer):
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            client_writer.close()
            return
        self.writers |= {client_writer, upstream_writer}
        await asyncio.gather(self._pipe(client_reader, upstream_writer), self._pipe(upstream_reader, client_writer))
        self.writers -= {client_writer, upstream_writer}

    async def _start(self):
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port, reuse_address=True)

    async def _cut(self):
        self.server.close()
        for writer in list(self.writers):
            writer.transport.abort()
        self.writers.clear()
        await self.server.wait_closed()

    def restore(self):
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)
        return self

    def cut(self):
        asyncio.run_coroutine_threadsafe(self._cut(), self.loop).result(10)

    def close(self):
        try:
            self.cut()
        except Exception:
            pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        self.loop.close()  # not left to the garbage collector, in the middle of a later test's loop


class Peer:
    """One person's chat page: a socket, an outbox of unacknowledged messages (resent after every reconnect),
    what was acknowledged, and every message seen (live or by resync), by seq."""

    def __init__(self, name: str, cookie: str, path: str):
        self.name, self.cookie, self.path = name, cookie, path
        self.ws = None
        self.outbox: dict[str, str] = {}
        self.acked: dict[str, int] = {}
        self.seen: dict[int, str] = {}  # seq -> client_msg_id
        self.errors: list[dict] = []

    @property
    def last_seq(self) -> int:
        """The last number seen without a gap before it: a lost event shows as a gap, and the page (like
        chat.js) resyncs from there."""
        n = 0
        while n + 1 in self.seen:
            n += 1
        return n

    async def connect(self, server, *, within: float = 30.0):
        from websockets.asyncio.client import connect

        deadline = time.monotonic() + within
        while True:
            try:
                self.ws = await connect(
                    server.ws(self.path),
                    origin=f"http://127.0.0.1:{server.port}",
                    additional_headers={"Cookie": self.cookie},
                    open_timeout=5,
                    max_queue=None,
                )
                hello = json.loads(await asyncio.wait_for(self.ws.recv(), 5))
                if hello.get("type") == "hello":
                    return self
                await self.ws.close()
            except Exception:
                if time.monotonic() > deadline:
                    raise
            await asyncio.sleep(0.5)

    def new_message(self, body: str) -> str:
        msg_id = str(uuid.uuid4())
        self.outbox[msg_id] = body
        return msg_id

    async def send_outbox(self):
        for msg_id, body in list(self.outbox.items()):
            await self.ws.send(json.dumps({"type": "send", "client_msg_id": msg_id, "body": body}))

    def _take(self, frame: dict):
        kind = frame.get("type")
        if kind == "ack":
            self.acked[frame["client_msg_id"]] = frame["seq"]
            self.outbox.pop(frame["client_msg_id"], None)
            self.seen[frame["seq"]] = frame["client_msg_id"]
        elif kind == "message":
            self.seen[frame["seq"]] = frame["client_msg_id"]
        elif kind == "history":
            for message in frame["messages"]:
                self.seen[message["seq"]] = message["client_msg_id"]
        elif kind == "error":
            self.errors.append(frame)

    async def pump(self, until, timeout: float = 20.0, retry_after: float = 1.0):
        """Read frames until `until(self)` is true; returns False if the socket closed or time ran out.

        Like chat.js, a `server_error` or `rate_limited` answer to a send makes the outbox be resent a little
        later (chat.js waits 5 s; we wait `retry_after` to keep the test short)."""
        deadline = time.monotonic() + timeout
        retry_at = None
        while not until(self):
            now = time.monotonic()
            if now >= deadline:
                return False
            if retry_at is not None and now >= retry_at:
                retry_at = None
                await self.send_outbox()
            wait = min(deadline, retry_at or deadline) - now
            try:
                frame = json.loads(await asyncio.wait_for(self.ws.recv(), max(wait, 0.01)))
            except TimeoutError:
                continue
            except Exception:  # closed
                return False
            self._take(frame)
            if (
                frame.get("type") == "error"
                and frame.get("client_msg_id") in self.outbox
                and frame.get("code") in ("server_error", "rate_limited")
            ):
                retry_at = retry_at or time.monotonic() + retry_after
        return True

    async def resync(self, after: int | None = None):
        after = self.last_seq if after is None else after
        while True:
            await self.ws.send(json.dumps({"type": "resync", "after_seq": after}))
            while True:
                frame = json.loads(await asyncio.wait_for(self.ws.recv(), 20))
                self._take(frame)
                if frame.get("type") == "history":
                    break
            if not frame.get("more"):
                return
            after = frame["last_seq"]

    async def close(self):
        if self.ws is not None:
            await self.ws.close()


def stored_ids(conversation) -> list[str]:
    from sessions.models import Message

    return [
        str(i)
        for i in Message.objects.filter(conversation=conversation)
        .order_by("seq")
        .values_list("client_msg_id", flat=True)
    ]
