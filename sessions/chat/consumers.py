"""The chat socket. Thin: it validates frames, calls sessions.services / selectors, sends the result.

Protocol, error codes and close codes: docs/chat-protocol.md. Ids and ciphertext cross the channel
layer, never plaintext; each socket opens a new message with the client's key itself, and the
database stays the only mailbox ("Redis is the doorbell"): an event lost by the at-most-once layer
is recovered by a resync.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
import uuid
from urllib.parse import urlencode

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from counseling.client_address import scope_client_address
from counseling.clock import now
from counseling.consumers import FrameReader, sockets_close_applies, user_sockets_group
from counseling.crypto import data_key_on_loop
from counseling.inactivity import socket_activity_record, socket_signed_in_check
from counseling.mfa import session_is_verified
from sessions.chat import drops, selectors, services
from sessions.chat.events import conversation_group
from sessions.chat.hooks import client_message_watchers

logger = logging.getLogger(__name__)

# Close codes (4000-4999 are the application's own; see docs/chat-protocol.md).
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_GATE_REFUSED = 4409

MAX_FRAME_CHARS = 16 * 1024  # a whole frame, before JSON decoding
FRAME_BURST = 40  # any frames per socket per second before "rate_limited" (typing, pings, junk)
TYPING_EVERY_SECONDS = 2.0
# Frames a person sends by doing something; they keep the person signed in (counseling.inactivity). Read
# receipts, resyncs and pings are sent by the page by itself and do not.
ACTIVITY_FRAMES = frozenset({"send", "typing", "help", "code_word", "code_word_request", "code_word_override"})
# A help press per socket at most this often; more presses in between are answered "help_sent" without new
# work (the escalation counts presses and re-alerts on its own clock, ESCALATION_REPEAT_ALERT_SECONDS).
HELP_EVERY_SECONDS = 5.0
# Resyncs per socket: a burst (a page catching up several pages of history), then this many per second.
RESYNC_BURST = 10
RESYNC_PER_SECOND = 2.0
ACTIVITY_RECORD_EVERY_SECONDS = 60  # at most this often into the Django session, shortened for short timeouts


def in_db_thread(fn):
    """Run ORM work in the shared worker pool rather than Channels' one sync thread per process, so
    messages of different conversations are stored and read in parallel, each thread on its own
    database connection (persistent with DB_CONN_MAX_AGE). Order within one conversation comes from
    the sequence numbers, not from threads."""
    return database_sync_to_async(fn, thread_sensitive=False)


def _client_ip(scope) -> str | None:
    """The person's address behind our own proxies, as the login throttle and the audit log see it."""
    return scope_client_address(scope)


class _SignedOut(Exception):
    def __init__(self, *, inactive: bool):
        super().__init__("inactive" if inactive else "signed out")
        self.inactive = inactive


def _session_key(scope) -> str | None:
    session = scope.get("session")
    return session.session_key if session is not None else None


class ChatConsumer(AsyncJsonWebsocketConsumer):
    """One socket of one person in one conversation (optionally inside one session)."""

    access: selectors.ChatAccess | None = None
    group = ""
    idle_timer: asyncio.TimerHandle | None = None
    cover_timer: asyncio.TimerHandle | None = None  # a cover's socket re-checks when its time runs out
    active_at: float | None = None  # the last frame the person sent by doing something (Unix time)
    activity_recorded_at = 0.0
    idle_seconds_left: float = 0.0
    disconnected = False
    code_word_prompt_due = False  # the client joins a session whose code word is not confirmed yet
    presence = False  # the client's socket in a session: its presence is kept (sessions.chat.drops)
    presence_timer: asyncio.TimerHandle | None = None
    help_sent_at: float | None = None  # time.monotonic() of the last help press that did its work
    resync_tokens: float = RESYNC_BURST
    resync_counted_at: float | None = None

    async def dispatch(self, message):
        """Channels' dispatch, without its `aclose_old_connections()` before every frame and event: that is a
        hop to the process's one sync thread each time. Every database call here goes through
        in_db_thread (database_sync_to_async), which closes stale connections in its own thread anyway."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        kwargs = self.scope["url_route"]["kwargs"]
        self.language = "en"
        try:
            access, gate = await in_db_thread(self._open)(user, kwargs["conversation_id"], kwargs.get("session_id"))
        except (Http404, PermissionDenied):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        except _SignedOut as signed_out:
            await self.accept()
            await self._signed_out(inactive=signed_out.inactive)
            return
        if not gate:
            # Accept only to say why: the person can act on the gate's message (and its link).
            if access is not None and user.pk == access.conversation.counselor_id:
                gate = gate.addressed_to_counselor
            await self.accept()
            await self._error("gate_refused", gate.message, reason=gate.reason, action_url=gate.action_url)
            await self.close(code=CLOSE_GATE_REFUSED)
            return
        self.access = access
        self.user = user
        self.frames = FrameReader(max_chars=MAX_FRAME_CHARS, burst=FRAME_BURST)
        self.last_typing = 0.0
        self.group = conversation_group(access.conversation.pk)
        self.sockets_group = user_sockets_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.channel_layer.group_add(self.sockets_group, self.channel_name)
        await self.accept()
        self._idle_check_in(self.idle_seconds_left)
        if self.presence:
            self._presence_beat_in()
        conversation = access.conversation
        profile = getattr(conversation.counselor, "counselor_profile", None)
        await self.send_json(
            {
                "type": "hello",
                "conversation": conversation.pk,
                "session": access.session.pk if access.session else None,
                "user": user.pk,
                "client": conversation.client_id,
                "counselor": conversation.counselor_id,
                "read_only": access.read_only,
                "from_seq": access.from_seq,
                "last_seq": conversation.last_seq,
                "response_time_promise_hours": profile.response_time_promise_hours if profile else None,
                "max_chars": services.CHAT_MESSAGE_MAX_CHARS,
            }
        )
        self._cover_timer_set()
        if self.code_word_prompt_due:
            # ACA H.3: the code word is asked at the start of every session, before the counselor may write.
            await self.send_json({"type": "code_word_request"})
            await self.channel_layer.group_send(
                self.group,
                {"type": "chat.code_word_request", "session": access.session.pk, "origin": self.channel_name},
            )

    def _open(self, user, conversation_id, session_id):
        self.language = self._language(user)
        if not session_is_verified(user=user, session=self.scope.get("session")):
            raise PermissionDenied
        state = self._signed_in_still()
        if state != "yes":
            raise _SignedOut(inactive=state == "inactive")
        access = selectors.access_chat(user=user, conversation_id=conversation_id, session_id=session_id)
        with translation.override(self.language):
            gate = selectors.chat_gate(access=access)
        if gate:
            services.chat_open_record(user=user, access=access, ip_address=_client_ip(self.scope))
            self.code_word_prompt_due = selectors.code_word_prompt_due(access=access, user=user)
            if access.session is not None and not access.read_only and user.pk == access.conversation.client_id:
                # Where the client is during a session, for every server process: a drop is found from this.
                drops.client_socket_joined(session=access.session, channel_name=self.channel_name)
                self.presence = True
            if access.session is not None and user.pk == access.conversation.counselor_id:
                services.counselor_write_preload(session=access.session)
            selectors.chat_key_preload(conversation=access.conversation)
            for watcher in client_message_watchers():
                watcher.prepare()  # e.g. the risk phrases, held for the messages stored on the event loop
        return access, gate

    def _language(self, user) -> str:
        profile = getattr(user, "client_profile", None)
        cookie = self.scope.get("cookies", {}).get("django_language", "")
        # A staff member's chosen language wins, as on their pages (counseling.middleware.ChosenLanguageMiddleware).
        choice = user.language or cookie or (profile.preferred_language if profile else "")
        return choice if choice in ("id", "en") else "en"

    async def disconnect(self, code):
        self.disconnected = True
        for timer in (self.idle_timer, self.cover_timer, self.presence_timer):
            if timer is not None:
                timer.cancel()
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            await self.channel_layer.group_discard(self.sockets_group, self.channel_name)
        if self.presence:
            try:
                await in_db_thread(drops.client_socket_left)(channel_name=self.channel_name)
            except Exception:  # the database is gone: the socket stops beating and counts as gone all the same
                logger.warning("recording that a client's socket left session %s failed", self.access.session.pk)

    # The client's presence in a session (sessions.chat.drops): a beat while the socket is open ---------------

    def _presence_beat_in(self) -> None:
        loop = asyncio.get_running_loop()
        self.presence_timer = loop.call_later(
            selectors.PRESENCE_BEAT_SECONDS, lambda: loop.create_task(self._presence_beat())
        )

    async def _presence_beat(self):
        if self.disconnected:
            return
        try:
            await in_db_thread(drops.client_socket_seen)(channel_name=self.channel_name)
        except Exception:  # try again at the next beat; missing two makes the socket count as gone
            logger.warning("the presence beat of a client's socket in session %s failed", self.access.session.pk)
        if not self.disconnected:
            self._presence_beat_in()

    # Inactivity (counseling.inactivity): the socket signs the person out as a page would ---------------

    def _signed_in_still(self) -> str:
        """ "yes", "inactive" (signed out now) or "elsewhere" (counseling.inactivity.socket_signed_in_check). Thread."""
        state, self.idle_seconds_left = socket_signed_in_check(
            session_key=_session_key(self.scope),
            user=self.scope["user"],
            active_at=self.active_at,
            ip_address=_client_ip(self.scope),
        )
        return state

    def _idle_check_in(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        self.idle_timer = loop.call_later(max(seconds, 0) + 0.05, lambda: loop.create_task(self._idle_check()))

    async def _idle_check(self):
        if self.disconnected:
            return
        try:
            state = await in_db_thread(self._signed_in_still)()
        except Exception:  # never leave a socket without its check: try again after a while
            logger.exception("inactivity check of a chat socket in conversation %s failed", self.access.conversation.pk)
            state, self.idle_seconds_left = "yes", settings.INACTIVITY_TIMEOUT_SECONDS / 4
        if self.disconnected:
            return
        if state != "yes":
            await self._signed_out(inactive=state == "inactive")
            return
        self._idle_check_in(self.idle_seconds_left)

    async def _signed_out(self, *, inactive: bool):
        self.disconnected = True  # once: the inactivity check and a "sockets.close" event may both get here
        with translation.override(self.language):
            message = (
                _("You were signed out after a period of inactivity.")
                if inactive
                else _("You are signed out. Sign in again to continue.")
            )
        kwargs = self.scope["url_route"]["kwargs"]
        page = (
            reverse("sessions:session_chat", args=[kwargs["session_id"]])
            if kwargs.get("session_id")
            else reverse("sessions:conversation_chat", args=[kwargs["conversation_id"]])
        )
        query = {"next": page, **({"signed_out": "inactive"} if inactive else {})}
        await self._error("signed_out", message, action_url=f"{reverse('login')}?{urlencode(query)}")
        await self.close(code=CLOSE_UNAUTHENTICATED)

    async def sockets_close(self, event):
        """The account changed under this socket: signed out (this session), deactivated, a new password or a new
        role (counseling.receivers). Say so and close, as the inactivity check does."""
        if self.disconnected or not sockets_close_applies(event, self.scope):
            return
        await self._signed_out(inactive=event.get("reason") == "inactive")

    async def _activity_record_due(self):
        """Record the person's activity in their Django session, so pages keep them signed in while they chat;
        at most every ACTIVITY_RECORD_EVERY_SECONDS (a write to the session store)."""
        every = min(ACTIVITY_RECORD_EVERY_SECONDS, settings.INACTIVITY_TIMEOUT_SECONDS / 4)
        if self.active_at - self.activity_recorded_at >= every:
            self.activity_recorded_at = self.active_at
            try:
                await in_db_thread(socket_activity_record)(session_key=_session_key(self.scope))
            except Exception:  # the database is gone: the frame was answered; try again at the next interval
                logger.warning("recording chat activity in the session failed", exc_info=True)

    # Frames from the browser ---------------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None):
        if self.access is None:
            return
        with translation.override(self.language):
            await self._receive(text_data)

    async def _receive(self, text_data):
        frame, code, message = self.frames.read(text_data)
        if frame is None:
            await self._error(code, message)
            return
        handler = self.FRAME_HANDLERS.get(frame["type"])
        if handler is None:
            await self._error("unsupported", _("Unsupported frame type."))
            return
        if frame["type"] in ACTIVITY_FRAMES:
            self.active_at = now().timestamp()
        try:
            await handler(self, frame)
        except Exception:  # one bad frame must never take the socket (or anyone else's) down
            logger.exception("chat frame %r failed in conversation %s", frame["type"], self.access.conversation.pk)
            try:
                await self._error(
                    "server_error",
                    _("Something went wrong; please try again."),
                    client_msg_id=frame.get("client_msg_id") if frame["type"] == "send" else None,
                )
            except Exception:  # the socket is already gone (e.g. closed while the message was stored)
                logger.info("chat socket of conversation %s closed before its error frame", self.access.conversation.pk)
        if frame["type"] in ACTIVITY_FRAMES:
            await self._activity_record_due()

    async def on_send(self, frame):
        raw_id = frame.get("client_msg_id")
        body = frame.get("body")
        try:
            client_msg_id = uuid.UUID(str(raw_id))
        except ValueError:
            await self._error("malformed", _("Each message needs a client_msg_id (a UUID)."))
            return
        if self.access.read_only:
            await self._error("read_only", _("This is a read-only view."), client_msg_id=str(client_msg_id))
            return
        try:
            message, created = await services.message_post_on_loop(
                conversation=self.access.conversation,
                sender=self.user,
                client_msg_id=client_msg_id,
                body=body,
                session=self.access.session,
                origin=self.channel_name,
            )
        except services.ChatError as error:
            await self._error(
                error.code,
                error.message,
                client_msg_id=str(client_msg_id),
                reason=error.reason or None,
                action_url=error.action_url or None,
            )
            return
        await self.send_json(
            {
                "type": "ack",
                "client_msg_id": str(client_msg_id),
                "seq": message.seq,
                "created_at": message.created_at.isoformat(),
                "duplicate": not created,
                "reply_due_at": message.reply_due_at.isoformat() if message.reply_due_at else None,
            }
        )

    async def on_resync(self, frame):
        after = frame.get("after_seq", 0)
        if not isinstance(after, int) or isinstance(after, bool) or after < 0:
            await self._error("malformed", _("after_seq must be a whole number."))
            return
        wait = self._resync_wait()
        if wait:  # a resync opens up to a page of messages: its own budget, so one socket cannot hog the loop
            await self._error(
                "rate_limited", _("Too many resyncs; wait a moment."), frame="resync", retry_after=round(wait, 1)
            )
            return
        messages = await in_db_thread(selectors.messages_after)(
            conversation=self.access.conversation, after_seq=after, from_seq=self.access.from_seq
        )
        last = messages[-1]["seq"] if messages else after
        await self.send_json(
            {
                "type": "history",
                "after_seq": after,
                "messages": messages,
                "more": len(messages) >= selectors.HISTORY_PAGE,
                "last_seq": last,
            }
        )

    def _resync_wait(self) -> float:
        """0 when a resync may run now (and count it), else the seconds until one may (a token bucket)."""
        current = time.monotonic()
        if self.resync_counted_at is not None:
            elapsed = current - self.resync_counted_at
            self.resync_tokens = min(RESYNC_BURST, self.resync_tokens + elapsed * RESYNC_PER_SECOND)
        self.resync_counted_at = current
        if self.resync_tokens >= 1:
            self.resync_tokens -= 1
            return 0.0
        return (1 - self.resync_tokens) / RESYNC_PER_SECOND

    async def on_typing(self, frame):
        if self.access.read_only:
            return
        current = time.monotonic()
        if current - self.last_typing < TYPING_EVERY_SECONDS:
            return
        self.last_typing = current
        await self.channel_layer.group_send(
            self.group, {"type": "chat.typing", "sender": self.user.pk, "origin": self.channel_name}
        )

    async def on_read(self, frame):
        up_to = frame.get("up_to_seq")
        if not isinstance(up_to, int) or isinstance(up_to, bool) or up_to < 0:
            await self._error("malformed", _("up_to_seq must be a whole number."))
            return
        if self.access.read_only:
            return  # an admin reading under break-glass is not the reader the client expects
        await in_db_thread(services.messages_mark_read)(
            conversation=self.access.conversation, reader=self.user, up_to_seq=up_to
        )

    async def on_help(self, frame):
        if self.user.pk != self.access.conversation.client_id:
            await self._error("unsupported", _("Only the client can ask for help here."))
            return
        pressed = time.monotonic()
        if self.help_sent_at is None or pressed - self.help_sent_at >= HELP_EVERY_SECONDS:
            await in_db_thread(services.chat_help_request)(
                client=self.user,
                conversation=self.access.conversation,
                session=self.access.session,
                ip_address=_client_ip(self.scope),
            )
            self.help_sent_at = pressed
        await self.send_json({"type": "help_sent"})  # within HELP_EVERY_SECONDS: the press just made is live

    async def on_code_word_request(self, frame):
        """The counselor asks the client for their code word (ACA H.3: identity throughout)."""
        if self.user.pk != self.access.conversation.counselor_id or self.access.session is None:
            await self._error("unsupported", _("Only the counselor can ask for the code word, in a session."))
            return
        await self.channel_layer.group_send(
            self.group,
            {"type": "chat.code_word_request", "session": self.access.session.pk, "origin": self.channel_name},
        )
        await self.send_json({"type": "code_word_requested"})

    async def on_code_word_override(self, frame):
        """The counselor goes on without a matching code word and writes down why (sealed, audited)."""
        if self.user.pk != self.access.conversation.counselor_id or self.access.session is None:
            await self._error("unsupported", _("Only the counselor can go on without the code word, in a session."))
            return
        reason = frame.get("reason")
        try:
            await in_db_thread(services.code_word_override)(
                session=self.access.session,
                counselor=self.user,
                reason=reason,
                ip_address=_client_ip(self.scope),
                origin=self.channel_name,
            )
        except services.ChatError as error:
            await self._error(error.code, error.message)
            return
        await self.send_json({"type": "code_word_overridden", "session": self.access.session.pk})

    async def on_code_word(self, frame):
        """The client's answer: checked against the stored hash; only match / no match reaches the counselor."""
        attempt = frame.get("attempt")
        if self.user.pk != self.access.conversation.client_id or self.access.session is None:
            await self._error("unsupported", _("Only the client answers the code word, in a session."))
            return
        if not isinstance(attempt, str) or not attempt.strip() or len(attempt) > 200:
            await self._error("malformed", _("Type your code word."))
            return
        try:
            await in_db_thread(services.code_word_answer)(
                session=self.access.session, client=self.user, attempt=attempt, ip_address=_client_ip(self.scope)
            )
        except services.ChatError as error:
            await self._error(error.code, error.message)
            return
        await self.send_json({"type": "code_word_sent"})

    async def on_ping(self, frame):
        await self.send_json({"type": "pong"})

    FRAME_HANDLERS = {
        "send": on_send,
        "resync": on_resync,
        "typing": on_typing,
        "read": on_read,
        "help": on_help,
        "ping": on_ping,
        "code_word_request": on_code_word_request,
        "code_word": on_code_word,
        "code_word_override": on_code_word_override,
    }

    # Events from the channel layer (ids and ciphertext, never plaintext) ------------------------------

    async def message_new(self, event):
        conversation = self.access.conversation
        conversation.last_seq = max(conversation.last_seq, event["seq"])  # the next number this socket expects
        if event.get("origin") == self.channel_name:
            return  # the sender's own socket already has it, with its ack
        frame = selectors.message_frame_from_event(event=event, conversation=conversation)
        if frame is None and await data_key_on_loop(owner_id=conversation.client_id) is not None:
            frame = selectors.message_frame_from_event(event=event, conversation=conversation)  # key renewed
        if frame is None:  # no key in this process (or no body in the event): read the message
            frame = await in_db_thread(selectors.message_frame_at)(
                conversation=self.access.conversation, seq=event["seq"]
            )
        if frame is not None:
            await self.send_json(frame)

    async def message_read(self, event):
        await self.send_json({"type": "read", "reader": event["reader"], "up_to_seq": event["up_to_seq"]})

    async def chat_typing(self, event):
        if event.get("origin") != self.channel_name and event["sender"] != self.user.pk:
            await self.send_json({"type": "typing", "sender": event["sender"]})

    async def chat_code_word_request(self, event):
        """The code word is asked (by the counselor, or as the client joined): the client's sockets of that
        session show the question, the counselor's show that it was asked."""
        if event.get("origin") == self.channel_name or self.access.session is None:
            return
        if event["session"] != self.access.session.pk:
            return
        if self.user.pk == self.access.conversation.client_id:
            await self.send_json({"type": "code_word_request"})
        elif self.user.pk == self.access.conversation.counselor_id:
            await self.send_json({"type": "code_word_requested"})

    async def chat_code_word_result(self, event):
        if self.user.pk == self.access.conversation.counselor_id:
            frame = {"type": "code_word_result", "session": event["session"], "match": event["match"]}
            if "state" in event:
                frame["state"] = event["state"]
            await self.send_json(frame)

    async def chat_code_word_overridden(self, event):
        if self.user.pk == self.access.conversation.counselor_id and event.get("origin") != self.channel_name:
            await self.send_json({"type": "code_word_overridden", "session": event["session"]})

    async def chat_cover(self, event):
        """Someone picked up the conversation for the counselor: every page of it says who answers and why."""
        frame = await in_db_thread(self._cover_frame)(event["cover"])
        if frame is not None:
            await self.send_json(frame)

    def _cover_frame(self, cover_id: int) -> dict | None:
        cover = selectors.cover_for_frame(cover_id=cover_id, conversation=self.access.conversation)
        if cover is None:
            return None
        with translation.override(self.language):
            names = selectors.chat_names(conversation=self.access.conversation)
            return {
                "type": "cover",
                "user": cover.cover_id,
                "name": names[cover.cover_id],
                "text": selectors.cover_sentence(cover=cover, viewer=self.user),
                "until": cover.ends_at.isoformat(),
            }

    def _cover_timer_set(self) -> None:
        """A cover's time is bounded: when it runs out the socket re-checks (and closes, unless renewed)."""
        if self.cover_timer is not None:
            self.cover_timer.cancel()
        if self.access.cover is None:
            return
        seconds = (self.access.cover.ends_at - now()).total_seconds()
        loop = asyncio.get_running_loop()
        self.cover_timer = loop.call_later(max(seconds, 0) + 0.05, lambda: loop.create_task(self.chat_recheck({})))

    async def chat_recheck(self, event):
        """Consent withdrawn, session ended, licence lapsed, cover ended...: re-run the gate; close if it refuses."""
        try:
            gate, access = await in_db_thread(self._recheck)()
        except Http404:
            gate = None
        if self.disconnected:
            return
        if gate:
            if access.cover is not None:  # renewed: wait for its new end
                self.access = dataclasses.replace(self.access, cover=access.cover)
                self._cover_timer_set()
            return
        if gate is not None and self.user.pk == self.access.conversation.counselor_id:
            gate = gate.addressed_to_counselor
        with translation.override(self.language):
            message = gate.message if gate is not None else _("You no longer have access to this conversation.")
        await self._error(
            "gate_refused",
            message,
            reason=gate.reason if gate is not None else "forbidden",
            action_url=gate.action_url if gate is not None else "",
        )
        await self.close(code=CLOSE_GATE_REFUSED)

    def _recheck(self):
        access = selectors.access_chat(
            user=self.user,
            conversation_id=self.access.conversation.pk,
            session_id=self.access.session.pk if self.access.session else None,
        )
        with translation.override(self.language):
            return selectors.chat_gate(access=access), access

    async def _error(self, code: str, message: str, **extra):
        frame = {"type": "error", "code": code, "message": str(message)}
        frame.update({key: value for key, value in extra.items() if value is not None})
        await self.send_json(frame)
