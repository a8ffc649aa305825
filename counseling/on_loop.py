"""PostgreSQL and Redis straight from the running event loop, for the chat's per-message work only.

Why: stored through the ORM, every chat message hopped to a worker thread and back
(database_sync_to_async), and under load that hand-off, where the thread and the event loop take
turns at the GIL, cost more of the send-to-delivery time than PostgreSQL did (bench/chat_bench.py).
psycopg2 can run a connection asynchronously itself (`async_=True`; `poll()` says whether it waits
to read or to write), so these connections are driven by the loop's own readiness callbacks, the
way aiopg does it, with no thread and no new dependency. Everything else keeps using the ORM.

Asynchronous psycopg2 connections are always in autocommit: each statement is its own transaction,
so callers write one statement that makes the whole change or none of it.

Connections and clients belong to one event loop (a server process has one; each async test has its
own) and are opened on first use. `close_all()` closes them (tests).
"""

from __future__ import annotations

import asyncio
import logging
import re
import weakref

import psycopg2
import psycopg2.extensions
import redis.asyncio
from django.conf import settings
from django.db import connections

log = logging.getLogger(__name__)

PG_CONNECTIONS_PER_LOOP = 4  # one statement of ~0.3 ms per message: 4 cover thousands of messages a second


async def _until_ready(conn) -> None:
    """Drive an asynchronous psycopg2 connection until its current operation has finished (or raised)."""
    loop = asyncio.get_running_loop()
    while True:
        state = conn.poll()
        if state == psycopg2.extensions.POLL_OK:
            return
        if state == psycopg2.extensions.POLL_READ:
            watch, unwatch = loop.add_reader, loop.remove_reader
        elif state == psycopg2.extensions.POLL_WRITE:
            watch, unwatch = loop.add_writer, loop.remove_writer
        else:  # pragma: no cover - psycopg2 documents no other state
            raise psycopg2.OperationalError(f"unexpected poll state {state}")
        waiter = loop.create_future()
        fd = conn.fileno()
        watch(fd, waiter.set_result, None)
        try:
            await waiter
        finally:
            unwatch(fd)


def _numbered_parameters(sql: str) -> str:
    """psycopg2's `%s` placeholders as PostgreSQL's own `$1`, `$2`, ... (for PREPARE)."""
    if "%%" in sql or "%(" in sql:
        raise ValueError("only positional %s placeholders can be prepared")
    numbers = iter(range(1, sql.count("%s") + 1))
    return re.sub(r"%s", lambda _: f"${next(numbers)}", sql)


class PostgresOnLoop:
    """A few asynchronous connections to the default database, used one statement at a time each."""

    def __init__(self, size: int = PG_CONNECTIONS_PER_LOOP) -> None:
        self._slots = asyncio.Semaphore(size)
        self._idle: list = []
        self._open: set = set()
        self._prepared: dict[int, set[str]] = {}  # id(connection) -> names of the statements prepared on it

    async def _connect(self):
        params = connections["default"].get_connection_params()  # the ORM's own (test database in tests)
        params.pop("cursor_factory", None)
        params.update(settings.CHAT_DATABASE_DIRECT)  # PostgreSQL itself, not the pooler, when one is named
        conn = psycopg2.connect(**params, async_=True)
        self._open.add(conn)
        try:
            await _until_ready(conn)
        except BaseException:
            self._discard(conn)
            raise
        return conn

    def _discard(self, conn) -> None:
        self._open.discard(conn)
        self._prepared.pop(id(conn), None)
        try:
            conn.close()
        except psycopg2.Error:
            pass

    async def fetchone(self, sql: str, params, *, prepared_as: str = "") -> tuple | None:
        """Run one statement in its own transaction and return its first row.

        `prepared_as`: a name under which `sql` (positional %s placeholders only) is prepared once per
        connection, and executed by that name from then on. On this machine, PostgreSQL spent about as much
        CPU planning the chat's store statement again for every message as executing it (bench/chat_bench.py).
        A name stands for one statement text: never reuse it for another."""
        async with self._slots:
            conn = self._idle.pop() if self._idle else await self._connect()
            try:
                cursor = conn.cursor()
                if prepared_as:
                    prepared = self._prepared.setdefault(id(conn), set())
                    if prepared_as not in prepared:
                        cursor.execute(f"PREPARE {prepared_as} AS {_numbered_parameters(sql)}")
                        await _until_ready(conn)
                        prepared.add(prepared_as)
                    cursor.execute(f"EXECUTE {prepared_as} ({', '.join(['%s'] * len(params))})", params)
                else:
                    cursor.execute(sql, params)
                await _until_ready(conn)
                row = cursor.fetchone()
            except psycopg2.IntegrityError:
                self._idle.append(conn)  # the statement was refused; the connection is fine
                raise
            except BaseException:
                # Broken, or cancelled mid-statement (the socket went away): its state is unknown.
                self._discard(conn)
                raise
            self._idle.append(conn)
            return row

    async def fetchall_after_lock(self, lock_sql: str, lock_params, then) -> list[tuple]:
        """One transaction in two round trips: `lock_sql` (e.g. SELECT ... FOR UPDATE) first; then what
        `then(rows of lock_sql)` returns, `(statements, sql, params)` (each statement `(sql, params,
        prepared_as)` as for fetchone), sent together with COMMIT and then `sql`. Returns the rows of `sql`,
        read just after that commit: one WAL flush for all the statements (sessions.chat.committer). For
        writes that must know a value under its lock before they can be written (the chat seals a message
        for its sequence number). `then` may raise: the transaction is rolled back and the error raised."""
        async with self._slots:
            conn = self._idle.pop() if self._idle else await self._connect()
            try:
                cursor = conn.cursor()
                cursor.execute(b"BEGIN;\n" + cursor.mogrify(lock_sql, lock_params))
                await _until_ready(conn)
                statements, sql, params = then(cursor.fetchall())
                prepared = self._prepared.setdefault(id(conn), set())
                parts = []
                for statement, values, prepared_as in statements:
                    if prepared_as:
                        if prepared_as not in prepared:
                            cursor.execute(f"PREPARE {prepared_as} AS {_numbered_parameters(statement)}")
                            await _until_ready(conn)
                            prepared.add(prepared_as)
                        statement = f"EXECUTE {prepared_as} ({', '.join(['%s'] * len(values))})"
                    parts.append(cursor.mogrify(statement, values))
                parts += [b"COMMIT", cursor.mogrify(sql, params)]
                cursor.execute(b";\n".join(parts))
                await _until_ready(conn)
                rows = cursor.fetchall()
            except BaseException:
                # Mid-transaction (or cancelled): its state is unknown; closing it rolls back what is open.
                self._discard(conn)
                raise
            self._idle.append(conn)
            return rows

    def close(self) -> None:
        for conn in list(self._open):
            self._discard(conn)
        self._idle.clear()


_postgres: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_redis: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def postgres() -> PostgresOnLoop:
    """The running loop's connections to the default database (PostgreSQL only)."""
    loop = asyncio.get_running_loop()
    pool = _postgres.get(loop)
    if pool is None:
        pool = _postgres[loop] = PostgresOnLoop()
    return pool


def redis_client(url: str) -> redis.asyncio.Redis:
    """The running loop's client for `url` (one connection pool per loop)."""
    loop = asyncio.get_running_loop()
    clients = _redis.setdefault(loop, {})
    if url not in clients:
        clients[url] = redis.asyncio.Redis.from_url(url)
    return clients[url]


def close_all() -> None:
    """Close every loop's PostgreSQL connections and forget the Redis clients (tests, between loops)."""
    for pool in list(_postgres.values()):
        pool.close()
    _postgres.clear()
    _redis.clear()
