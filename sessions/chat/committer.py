"""Group commit of the chat's messages on a server process's event loop.

The chat stores a message before anyone is told of it (docs/chat-protocol.md), and that durable commit was
most of what the chat added to a bare relay (docs/performance.md). Messages that arrive while every one of
the process's CHAT_GROUP_COMMIT_LANES commits is under way (or within CHAT_GROUP_COMMIT_WINDOW_MS) are
committed together as one transaction (counseling.on_loop.PostgresOnLoop.fetchall_after_lock: two round
trips, one commit, one WAL flush for all of them); a message that finds a lane free goes at once. Each
sender learns of its message only after that commit, so each ack and each event still follows its own
message's commit.

Rules kept:
- one message per conversation per batch, and per process at a time: the next one of the same conversation
  waits for the next batch, so a conversation's messages stay in the order they came;
- a batch that fails (a resent id's unique constraint, a broken connection) is rolled back whole and its
  messages are stored one by one, each by its own statement: a failing message never takes the others down,
  and each gets its own outcome (sessions.chat.services then sends a resend or an error to message_post);
- a batch first locks its conversations' rows, in the order of their ids as every process does (two
  processes' batches wait for each other but never deadlock), then seals again any message whose number
  the other side took meanwhile, and only then stores them: under load both sides of a conversation write
  in nearly every batch, and a number guessed before the lock would miss again and again;
- a message alone is stored by its one statement as before: if its number was taken meanwhile it is not
  stored and is told so, and the caller re-seals it for the next number.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg2
from django.conf import settings
from django.db import connection

from counseling import on_loop
from sessions.models import Conversation, Message

log = logging.getLogger(__name__)

BATCH_MAX = 64  # messages per transaction: enough for a burst, small enough to keep one commit short
_KNOWN_MAX = 10_000  # conversations whose last number this process remembers before it starts again


@dataclass
class _Request:
    conversation_id: int
    client_msg_id: str
    expected: int  # the conversation's last number as the sender knows it
    # The statement for `expected` (sealed for number expected + 1): (sql, params, prepared_as). It may raise.
    statement_for: Callable[[int], tuple[str, list, str]]
    future: asyncio.Future
    seq: int = 0
    statement: tuple = field(default=())


@functools.cache
def _lock_sql() -> str:
    table = connection.ops.quote_name(Conversation._meta.db_table)
    return f"SELECT id, last_seq FROM {table} WHERE id = ANY(%s) ORDER BY id FOR UPDATE"  # noqa: S608


@functools.cache
def _outcome_sql(count: int) -> str:
    """One row per message of a batch, read inside the batch's transaction: its index, its id if it was
    stored (NULL if its number was taken meanwhile) and its conversation's last number now."""
    quote = connection.ops.quote_name
    conversations, messages = quote(Conversation._meta.db_table), quote(Message._meta.db_table)
    row = (
        f"SELECT %s::int, (SELECT id FROM {messages} WHERE conversation_id = %s AND seq = %s "  # noqa: S608
        f"AND client_msg_id = %s::uuid), (SELECT last_seq FROM {conversations} WHERE id = %s)"
    )
    return " UNION ALL ".join([row] * count) if count else "SELECT NULL::int, NULL::bigint, NULL::bigint WHERE false"


class Committer:
    """The group committer of one event loop (a server process has one; each async test has its own)."""

    def __init__(self) -> None:
        self._queue: list[_Request] = []
        self._busy: set[int] = set()  # conversations with a message in a batch being committed
        self._known: dict[int, int] = {}  # conversation id -> the last number this process saw committed
        self._in_flight = 0
        self._scheduled = False
        self._tasks: set[asyncio.Task] = set()
        self.batch_sizes: list[int] = []  # the last batches' sizes (tests, the benchmark's report)

    async def store(
        self,
        *,
        conversation_id: int,
        client_msg_id: str,
        expected: int,
        statement_for: Callable[[int], tuple[str, list, str]],
    ) -> tuple[int | None, int | None, int]:
        """Store one message in the next batch and return (its id or None if its number was taken, the
        conversation's last number then, the number it was sealed for), once its transaction has committed.
        Raises the database's error if its own statement fails (alone, after its batch failed)."""
        loop = asyncio.get_running_loop()
        request = _Request(
            conversation_id=conversation_id,
            client_msg_id=str(client_msg_id),
            expected=expected,
            statement_for=statement_for,
            future=loop.create_future(),
        )
        self._queue.append(request)
        self._schedule()
        return await request.future

    def _schedule(self) -> None:
        if self._scheduled or self._in_flight >= settings.CHAT_GROUP_COMMIT_LANES:
            return
        self._scheduled = True
        loop = asyncio.get_running_loop()
        window = settings.CHAT_GROUP_COMMIT_WINDOW_MS / 1000
        if window > 0:
            loop.call_later(window, self._flush)
        else:
            loop.call_soon(self._flush)  # after what this turn of the loop received

    def _flush(self) -> None:
        self._scheduled = False
        if not self._queue or self._in_flight >= settings.CHAT_GROUP_COMMIT_LANES:
            return
        batch, waiting, taken = [], [], set()
        for request in self._queue:
            conversation_id = request.conversation_id
            if conversation_id in taken or conversation_id in self._busy or len(batch) >= BATCH_MAX:
                waiting.append(request)
            else:
                batch.append(request)
                taken.add(conversation_id)
        self._queue = waiting
        if not batch:
            return
        # Each statement locks its conversation's row until the batch commits: taken in the order of their ids,
        # in every process, two batches sharing conversations wait for each other but never deadlock.
        batch.sort(key=lambda request: request.conversation_id)
        self._busy |= taken
        self._in_flight += 1
        task = asyncio.get_running_loop().create_task(self._commit(batch))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        if self._queue:
            self._schedule()  # another lane, if there is one free

    async def _commit(self, batch: list[_Request]) -> None:
        try:
            ready = []
            for request in batch:
                expected = max(request.expected, self._known.get(request.conversation_id, 0))
                try:
                    request.statement = request.statement_for(expected)
                except Exception as error:  # this message only (e.g. its key): the caller decides
                    request.future.set_exception(error)
                    continue
                request.seq = expected + 1
                ready.append(request)
            self.batch_sizes = [*self.batch_sizes[-99:], len(ready)]
            if len(ready) == 1:
                await self._alone(ready[0])
            elif ready:
                try:
                    await self._together(ready)
                except psycopg2.Error as error:
                    log.info("A batch of %s chat messages failed (%s); storing them one by one", len(ready), error)
                    await asyncio.gather(*(self._alone(request) for request in ready if not request.future.done()))
        except BaseException as error:  # cancelled (the server stops): no sender waits for ever
            for request in batch:
                if not request.future.done():
                    request.future.set_exception(error if isinstance(error, Exception) else RuntimeError("stopped"))
            raise
        finally:
            self._in_flight -= 1
            self._busy -= {request.conversation_id for request in batch}
            if self._queue:
                self._schedule()

    async def _alone(self, request: _Request) -> None:
        sql, params, prepared_as = request.statement
        try:
            stored_id, current_seq = await on_loop.postgres().fetchone(sql, params, prepared_as=prepared_as)
        except Exception as error:
            if not request.future.done():
                request.future.set_exception(error)
            return
        self._done(request, stored_id, current_seq)

    async def _together(self, requests: list[_Request]) -> None:
        """Lock the batch's conversations (in id order), seal again any message whose number another process
        took meanwhile, then store them all and commit: under load, both sides of a conversation write in
        nearly every batch, and an optimistic number would fail again and again."""
        sent: list[_Request] = []

        def then(locked: list[tuple[int, int]]):
            current = dict(locked)
            for request in requests:
                last = current.get(request.conversation_id)
                if last is not None and last + 1 != request.seq:
                    try:
                        request.statement = request.statement_for(last)
                    except Exception as error:  # this message only
                        if not request.future.done():
                            request.future.set_exception(error)
                        continue
                    request.seq = last + 1
                sent.append(request)
            params = []
            for index, request in enumerate(sent):
                params += [index, request.conversation_id, request.seq, request.client_msg_id, request.conversation_id]
            return [request.statement for request in sent], _outcome_sql(len(sent)), params

        rows = await on_loop.postgres().fetchall_after_lock(
            _lock_sql(), [[request.conversation_id for request in requests]], then
        )
        for index, stored_id, current_seq in rows:
            self._done(sent[index], stored_id, current_seq)

    def _done(self, request: _Request, stored_id: int | None, current_seq: int | None) -> None:
        if len(self._known) > _KNOWN_MAX:
            self._known.clear()
        known = request.seq if stored_id is not None else (current_seq or 0)
        self._known[request.conversation_id] = max(self._known.get(request.conversation_id, 0), known)
        if not request.future.done():
            request.future.set_result((stored_id, current_seq, request.seq))


_committers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def committer() -> Committer:
    """The running loop's group committer."""
    loop = asyncio.get_running_loop()
    found = _committers.get(loop)
    if found is None:
        found = _committers[loop] = Committer()
    return found
