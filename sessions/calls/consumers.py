"""The call socket: signaling between the two participants of a session's video or voice call. Thin: it checks
who may join and the call's gate (sessions.calls.selectors.call_gate, which is the chat's gate and the code word),
validates frames, relays offers, answers and ICE candidates to the other participant only, and records call events
through sessions.calls.services. Media never pass here: they flow between the two browsers.

Protocol, error codes and close codes: docs/call-protocol.md.
"""

from __future__ import annotations

import asyncio
import logging

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _

from counseling.client_address import scope_client_address
from counseling.consumers import FrameReader, sockets_close_applies, user_sockets_group
from counseling.inactivity import socket_activity_record, socket_signed_in_check
from counseling.mfa import session_is_verified
from sessions.calls import selectors, services
from sessions.calls.ice import ice_servers_for
from sessions.chat import drops
from sessions.chat.events import conversation_calls_group
from sessions.chat.selectors import PRESENCE_BEAT_SECONDS
from sessions.chat.services import conversation_get_or_create
from sessions.models import CounselingSession

logger = logging.getLogger(__name__)

# Close codes: the chat's (docs/chat-protocol.md), so pages read them alike.
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_GATE_REFUSED = 4409

MAX_FRAME_CHARS = 64 * 1024  # a whole frame, before JSON decoding (an offer's SDP is a few KiB)
FRAME_BURST = 60  # frames per socket per second before "rate_limited" (ICE candidates come in bursts)
PRESENT_SECONDS = 6 * 3600  # how long "this person is in the call" is kept if a process dies without saying so
ICE_FIELDS = {"candidate": str, "sdpMid": str, "sdpMLineIndex": int, "usernameFragment": str}


def in_db_thread(fn):
    return database_sync_to_async(fn, thread_sensitive=False)


def call_group(session_id: int) -> str:
    """The channel-layer group of one session's call sockets (both participants)."""
    return f"session.{session_id}.call"


def _present_key(session_id: int, user_id: int) -> str:
    return f"call-present:{session_id}:{user_id}"


def _ice_candidate(value) -> dict | bool | None:
    """The candidate as relayed (only the RTCIceCandidateInit fields), None for end-of-candidates, False if bad."""
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("candidate"), str):
        return False
    candidate = {}
    for name, kind in ICE_FIELDS.items():
        field = value.get(name)
        if field is None:
            if name != "candidate":
                candidate[name] = None
            continue
        if not isinstance(field, kind) or isinstance(field, bool):
            return False
        candidate[name] = field
    return candidate


class CallConsumer(AsyncJsonWebsocketConsumer):
    """One socket of one participant in one session's call."""

    access: selectors.CallAccess | None = None
    joined = False
    left = False
    disconnected = False
    talking = False  # this browser reported its peer connection connected, and not lost since
    # The other participant's call sockets known to this page (channel names): from `ready`, then "peer" events.
    # Each join is told to the page once: two people joining at the same moment both learn of the other from
    # `ready.peer_present` and must not hear "joined" again, or each page would build a second peer connection.
    peer_channels: frozenset = frozenset()
    beat_timer: asyncio.TimerHandle | None = None

    async def dispatch(self, message):
        """As the chat's: no hop to the one sync thread before every frame (see ChatConsumer.dispatch)."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.language = "en"
        try:
            access, gate = await in_db_thread(self._open)(user, self.scope["url_route"]["kwargs"]["session_id"])
        except (Http404, PermissionDenied):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        if not gate:
            if user.pk == access.session.counselor_id:
                gate = gate.addressed_to_counselor
            await self.accept()
            await self._error("gate_refused", gate.message, reason=gate.reason, action_url=gate.action_url)
            await self.close(code=CLOSE_GATE_REFUSED)
            return
        self.access = access
        self.user = user
        self.session_id = access.session.pk
        self.frames = FrameReader(max_chars=MAX_FRAME_CHARS, burst=FRAME_BURST)
        self.groups_joined = (
            call_group(self.session_id),
            conversation_calls_group(access.chat.conversation.pk),
            user_sockets_group(user.pk),
        )
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    def _open(self, user, session_id):
        self.language = _language(user, self.scope)
        if not session_is_verified(user=user, session=self.scope.get("session")):
            raise PermissionDenied
        session = self.scope.get("session")
        state, _seconds = socket_signed_in_check(
            session_key=session.session_key if session is not None else None,
            user=user,
            active_at=None,
            ip_address=scope_client_address(self.scope),
        )
        if state != "yes":
            raise PermissionDenied
        found = CounselingSession.objects.select_related("client", "counselor").filter(pk=session_id).first()
        if found is None or not found.is_participant(user):
            raise Http404
        conversation = conversation_get_or_create(client=found.client, counselor=found.counselor)
        access = selectors.access_call(user=user, session_id=session_id, conversation=conversation)
        with translation.override(self.language):
            return access, selectors.call_gate(access=access)

    async def disconnect(self, code):
        self.disconnected = True
        if self.beat_timer is not None:
            self.beat_timer.cancel()
        if self.access is None:
            return
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)
        if self.joined and not self.left:
            await self._leave()

    async def _leave(self):
        self.left = True
        await self.channel_layer.group_send(
            call_group(self.session_id),
            {"type": "call.peer", "state": "left", "sender": self.user.pk, "origin": self.channel_name},
        )
        try:
            await in_db_thread(self._leave_record)()
        except Exception:  # the database is gone: the peer was told; the presence row goes stale by itself
            logger.warning("recording that a participant left the call of session %s failed", self.session_id)

    def _leave_record(self):
        key = _present_key(self.session_id, self.user.pk)
        if cache.get(key) == self.channel_name:
            cache.delete(key)
        services.call_leave(session=self.access.session, user=self.user, ip_address=scope_client_address(self.scope))
        if self._is_client:
            drops.client_socket_left(channel_name=self.channel_name)

    @property
    def _is_client(self) -> bool:
        return self.user.pk == self.access.session.client_id

    # Frames from the browser ---------------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None):
        if self.access is None or self.disconnected:
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
        if frame["type"] != "join" and not self.joined:
            await self._error("not_joined", _('Send "join" first.'))
            return
        try:
            await handler(self, frame)
        except Exception:  # one bad frame must never take the socket down
            logger.exception("call frame %r failed in session %s", frame["type"], self.session_id)
            try:
                await self._error("server_error", _("Something went wrong; please try again."))
            except Exception:
                logger.info("call socket of session %s closed before its error frame", self.session_id)

    async def on_join(self, frame):
        if self.left:
            await self._error("unsupported", _("You left this call. Open the call page again to rejoin."))
            return
        peer_channel = await in_db_thread(self._join_record)()
        self.peer_channels = frozenset({peer_channel}) if peer_channel else frozenset()
        if not self.joined:
            self.joined = True
            self._beat_in()
            await self.channel_layer.group_send(
                call_group(self.session_id),
                {"type": "call.peer", "state": "joined", "sender": self.user.pk, "origin": self.channel_name},
            )
        await self.send_json(
            {
                "type": "ready",
                "role": self.access.role(self.user),
                "polite": self.access.polite(self.user),
                "ice_servers": self.ice_servers,
                "peer_present": bool(self.peer_channels),
            }
        )

    def _join_record(self) -> str | None:
        """Record the join; returns the channel name of the other participant's call socket, if one is open."""
        services.call_join(session=self.access.session, user=self.user, ip_address=scope_client_address(self.scope))
        if self._is_client and not self.joined:
            # The client's call counts as their presence in the session, as their chat does (sessions.chat.drops):
            # a call socket that drops and does not come back is a dropped session, and the counselor is told.
            drops.client_socket_joined(session=self.access.session, channel_name=self.channel_name)
        cache.set(_present_key(self.session_id, self.user.pk), self.channel_name, PRESENT_SECONDS)
        self.ice_servers = ice_servers_for(user=self.user)
        return cache.get(_present_key(self.session_id, self.access.other_id(self.user)))

    # While joined, a beat every PRESENCE_BEAT_SECONDS: the client's presence in the session stays alive (else the
    # drop sweep would take a long call for a dropped connection), and a person talking stays signed in on their
    # pages (counseling.inactivity): a call is activity even with no click. A page left waiting alone is not.

    def _beat_in(self) -> None:
        loop = asyncio.get_running_loop()
        self.beat_timer = loop.call_later(PRESENCE_BEAT_SECONDS, lambda: loop.create_task(self._beat()))

    async def _beat(self):
        if self.disconnected or self.left:
            return
        try:
            await in_db_thread(self._beat_record)()
        except Exception:  # try again at the next beat; missing two makes the client's socket count as gone
            logger.warning("the beat of a call socket in session %s failed", self.session_id)
        if not (self.disconnected or self.left):
            self._beat_in()

    def _beat_record(self):
        if self._is_client:
            drops.client_socket_seen(channel_name=self.channel_name)
        if self.talking:
            session = self.scope.get("session")
            socket_activity_record(session_key=session.session_key if session is not None else None)

    async def on_description(self, frame):
        sdp = frame.get("sdp")
        if not isinstance(sdp, str) or not sdp:
            await self._error("malformed", _("An offer or answer needs its SDP as text."))
            return
        await self._relay({"type": frame["type"], "sdp": sdp})

    async def on_ice(self, frame):
        if "candidate" not in frame:
            await self._error("malformed", _("An ICE frame needs a candidate (or null)."))
            return
        candidate = _ice_candidate(frame["candidate"])
        if candidate is False:
            await self._error("malformed", _("This ICE candidate is not valid."))
            return
        await self._relay({"type": "ice", "candidate": candidate})

    async def on_state(self, frame):
        state = frame.get("state")
        if state not in services.REPORTED_STATES:
            await self._error("malformed", _('state is "connected", "failed" or "disconnected".'))
            return
        self.talking = state == "connected"
        await in_db_thread(services.call_state_report)(
            session=self.access.session, user=self.user, state=state, ip_address=scope_client_address(self.scope)
        )

    async def on_hangup(self, frame):
        await self._leave()
        await self.send_json({"type": "closed", "reason": "hangup", "message": _("You left the call.")})
        await self.close()

    FRAME_HANDLERS = {
        "join": on_join,
        "offer": on_description,
        "answer": on_description,
        "ice": on_ice,
        "state": on_state,
        "hangup": on_hangup,
    }

    async def _relay(self, frame: dict):
        await self.channel_layer.group_send(
            call_group(self.session_id),
            {"type": "call.relay", "frame": frame, "sender": self.user.pk, "origin": self.channel_name},
        )

    # Events from the channel layer ----------------------------------------------------------------

    async def call_relay(self, event):
        """An offer, answer or ICE candidate of the other participant (never one's own, from any tab)."""
        if event["sender"] != self.user.pk and self.joined and not self.left:
            await self.send_json(event["frame"])

    async def call_peer(self, event):
        if event["sender"] == self.user.pk or self.left or not self.joined:
            return  # before this page joined, its `ready` says whether the other person is here
        origin = event["origin"]
        if event["state"] == "joined":
            if origin in self.peer_channels:
                return
            self.peer_channels = self.peer_channels | {origin}
        else:
            self.peer_channels = self.peer_channels - {origin}
            if self.peer_channels:
                return  # an old socket of theirs closed after their new one joined: they are still here
            self.talking = False
        await self.send_json({"type": "peer", "state": event["state"]})

    async def call_recheck(self, event):
        """Consent withdrawn, session ended, licence lapsed...: re-run the gate; close with a "closed" frame if it
        now refuses."""
        try:
            gate = await in_db_thread(self._recheck)()
        except Http404:
            gate = None
        if self.disconnected or gate:
            return
        if gate is not None and self.user.pk == self.access.session.counselor_id:
            gate = gate.addressed_to_counselor
        with translation.override(self.language):
            message = gate.message if gate is not None else _("You no longer have access to this session.")
        await self._closed(gate.reason if gate is not None else "forbidden", message)

    def _recheck(self):
        self.access = selectors.access_call(
            user=self.user, session_id=self.session_id, conversation=self.access.chat.conversation
        )
        with translation.override(self.language):
            return selectors.call_gate(access=self.access)

    async def sockets_close(self, event):
        """The account changed under this socket (signed out, deactivated, new password): close, as the chat does."""
        if self.disconnected or not sockets_close_applies(event, self.scope):
            return
        with translation.override(self.language):
            await self._closed("signed_out", _("You are signed out. Sign in again to continue."))

    async def _closed(self, reason: str, message: str):
        if self.joined and not self.left:
            await self._leave()
        await self.send_json({"type": "closed", "reason": reason, "message": str(message)})
        await self.close(code=CLOSE_UNAUTHENTICATED if reason == "signed_out" else CLOSE_GATE_REFUSED)

    async def _error(self, code: str, message: str, **extra):
        frame = {"type": "error", "code": code, "message": str(message)}
        frame.update({key: value for key, value in extra.items() if value})
        await self.send_json(frame)


def _language(user, scope) -> str:
    """The person's language, as the chat socket chooses it (sessions.chat.consumers.ChatConsumer._language)."""
    profile = getattr(user, "client_profile", None)
    cookie = scope.get("cookies", {}).get("django_language", "")
    choice = user.language or cookie or (profile.preferred_language if profile else "")
    return choice if choice in ("id", "en") else "en"
