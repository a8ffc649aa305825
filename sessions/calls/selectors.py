"""Reads of the calls: who may open a call socket, the call's gate, and the call events of a session."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from counseling.gates import GateResult
from sessions.chat.selectors import ChatAccess, access_chat, chat_gate
from sessions.models import CallEvent, CallEventKind, Conversation, CounselingSession, SessionMedium
from sessions.selectors import code_word_gate


@dataclass(frozen=True)
class CallAccess:
    """One participant in one session's call, with the chat access the chat's gate reads."""

    session: CounselingSession
    chat: ChatAccess

    def role(self, user) -> str:
        return "client" if user.pk == self.session.client_id else "counselor"

    def polite(self, user) -> bool:
        """Perfect negotiation: the counselor's side yields when both offer at once, the client's offer wins."""
        return user.pk == self.session.counselor_id

    def other_id(self, user) -> int:
        return self.session.counselor_id if user.pk == self.session.client_id else self.session.client_id


def access_call(*, user, session_id: int, conversation: Conversation) -> CallAccess:
    """Fetch and check in one step who may join a session's call: its client and its counselor, nobody else
    (no cover, no break-glass reader: a call is the two of them). Http404 otherwise, as for no session."""
    if user is None or not user.is_authenticated:
        raise Http404
    chat = access_chat(user=user, conversation_id=conversation.pk, session_id=session_id)
    if chat.read_only or chat.cover is not None or chat.session is None or not chat.session.is_participant(user):
        raise Http404
    return CallAccess(session=chat.session, chat=chat)


def call_gate(*, access: CallAccess, at=None) -> GateResult:
    """May the call of this session run now? A video or voice session, every gate of its chat (the same single
    function the chat uses: consent, identity, jurisdiction at the session time, confirmed location), and the
    client's code word confirmed at the start (ACA H.3), which is asked in the session chat."""
    session = access.session
    chat_url = reverse("sessions:session_chat", args=[session.pk])
    if session.medium == SessionMedium.CHAT:
        return GateResult.refuse("not_a_call", _("This session is held by chat."), chat_url)
    gate = chat_gate(access=access.chat, at=at)
    if not gate:
        return gate
    if not code_word_gate(session=session):
        return GateResult.refuse(
            "code_word_unconfirmed",
            _("The call opens once your code word is confirmed: your counselor asks for it in the session chat."),
            chat_url,
            counselor_message=_(
                "The call opens once the client's code word matches, or once you write down why you go on without "
                "it, in the session chat."
            ),
            counselor_action_url=chat_url + "#code-word",
        )
    return gate


def live_call(*, session: CounselingSession) -> CallEvent | None:
    """The "started" event of the session's call under way (started, not ended), if any."""
    ended = CallEvent.objects.filter(session=session, call_ref=OuterRef("call_ref"), kind=CallEventKind.ENDED)
    return (
        CallEvent.objects.filter(session=session, kind=CallEventKind.STARTED)
        .exclude(Exists(ended))
        .order_by("-at", "-id")
        .first()
    )


def call_events_of(*, session: CounselingSession) -> list[CallEvent]:
    return list(CallEvent.objects.filter(session=session).order_by("at", "id"))


def calls_client_export(client) -> list[dict]:
    """The call events of the client's sessions, for their own copy of their data (docs/client-export.md): when,
    what, how long, and whether it was them; there is no content to give, none was ever stored."""
    return [
        {
            "session_id": event.session_id,
            "kind": event.kind,
            "at": event.at.isoformat(),
            "duration_seconds": event.duration_seconds,
            "by_you": event.actor_id == client.pk,
        }
        for event in CallEvent.objects.filter(session__client=client).order_by("at", "id")
    ]
