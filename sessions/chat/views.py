"""Pages of the chat: the chat itself (session or between sessions), transcript exports, break-glass.

Thin: they check who may see what (sessions.selectors.access_*), call one service, render. The
messages themselves arrive over the chat socket (docs/chat-protocol.md), never in the HTML.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from counseling.clock import now
from counseling.models import Role
from counseling.permissions import admin_required, counselor_required, role_required
from licensing.selectors import counselor_credentials_once
from sessions.chat import drops, selectors, services
from sessions.forms import SessionDropForm
from sessions.models import Conversation
from sessions.selectors import access_session, client_accepted_by, code_word_advice

participant_required = role_required(Role.CLIENT, Role.COUNSELOR)


def _viewer_zone(user) -> str:
    profile = getattr(user, "client_profile", None) or getattr(user, "counselor_profile", None)
    return profile.time_zone if profile else "UTC"


def _chat_page(request, *, access, gate):
    conversation = access.conversation
    session = access.session
    # The socket routes (sessions/routing.py) are not in the HTTP URLconf.
    ws_path = f"/ws/chat/{conversation.pk}/session/{session.pk}/" if session else f"/ws/chat/{conversation.pk}/"
    panel = drop_panel = None
    if session is not None and request.user.pk == conversation.counselor_id:
        panel = selectors.session_start_panel(session=session, viewer=request.user)
        services.session_panel_viewed_record(user=request.user, session=session, request=request)
        drop_panel = selectors.session_drop_panel(session=session, viewer=request.user)
        if drop_panel is not None:
            drops.session_drop_panel_viewed_record(user=request.user, session=session, request=request)
    other = conversation.counselor if request.user.pk == conversation.client_id else conversation.client
    covers = selectors.conversation_covers(conversation=conversation)
    return render(
        request,
        "sessions/chat.html",
        {
            "conversation": conversation,
            "session": session,
            "access": access,
            "gate": gate,
            "ws_path": ws_path,
            "panel": panel,
            "drop_panel": drop_panel,
            "drop_form": SessionDropForm() if drop_panel else None,
            "other": other,
            "is_client": request.user.pk == conversation.client_id,
            "names": selectors.chat_names(conversation=conversation, covers=covers),
            "cover_sentences": [
                selectors.cover_sentence(cover=cover, viewer=request.user)
                for cover in selectors.live_covers(covers=covers)
            ],
            "promise_hours": getattr(
                getattr(conversation.counselor, "counselor_profile", None), "response_time_promise_hours", None
            ),
            "strings": _chat_strings(),
        },
    )


def _chat_strings() -> dict:
    """The few words the chat script shows, translated here (the script has no catalogue of its own)."""
    return {
        "sending": _("sending"),
        "sent": _("sent"),
        "read": _("read"),
        "failed": _("not sent, will retry"),
        "connecting": _("Connecting..."),
        "online": _("Connected"),
        "offline": _("Connection lost. Reconnecting; your messages are kept and will be sent."),
        "typing": _("is typing..."),
        "you": _("You"),
        "someone": _("A counselor of this service"),
        "undecryptable": _("[this message cannot be decrypted]"),
        "help_sent": _(
            "Your counselor and the on-call team have been alerted. If you are in danger, call the "
            "emergency numbers below now."
        ),
        "code_word_prompt": _(
            "Your counselor asks for your code word (not your account password). Type it "
            "here; it is checked privately and never shown in the chat."
        ),
        "code_word_sent": _("Thank you. Your code word was checked."),
        "code_word_requested": _("Asked the client for their code word..."),
        "match": _("Code word matches"),
        "no_match": _("Code word does NOT match"),
        "code_word_locked": _("Code word locked after too many wrong answers"),
        "code_word_overridden": _("Going on without a match; your reason is recorded"),
        "mismatch_advice": code_word_advice("mismatch"),
        "locked_advice": code_word_advice("locked"),
        "closed": _("This chat is closed."),
    }


@login_required
def chat_list(request):
    if request.user.is_admin:
        raise Http404
    return render(request, "sessions/chat_list.html", {"conversations": selectors.conversations_of(user=request.user)})


def _page_gate(access):
    """chat_gate for this page's own objects: the consent's disclosure of the counselor and the jurisdiction gate
    share one read of their licences (the socket asks the gates again, on objects of its own)."""
    counselor_credentials_once(counselor=access.conversation.counselor)
    return selectors.chat_gate(access=access)


@login_required
def conversation_chat(request, conversation_id: int):
    """Messages between sessions (or an admin's break-glass read-only view)."""
    if request.user.is_admin:
        if not request.user.is_verified():
            raise Http404
    access = selectors.access_chat(user=request.user, conversation_id=conversation_id)
    return _chat_page(request, access=access, gate=_page_gate(access))


@participant_required
def session_chat(request, session_id: int):
    session = access_session(user=request.user, session_id=session_id)
    if not client_accepted_by(client=session.client, counselor=session.counselor):
        # Messages between sessions carry the counselor's reply-time promise: only once they took the client on.
        messages.info(request, _("Messages between sessions open once the counselor has accepted the request."))
        return redirect("sessions:session_detail", session_id=session.pk)
    conversation = services.conversation_get_or_create(client=session.client, counselor=session.counselor)
    access = selectors.access_chat(user=request.user, conversation_id=conversation.pk, session_id=session.pk)
    return _chat_page(request, access=access, gate=_page_gate(access))


@participant_required
def conversation_start(request, session_id: int):
    """From a session page: the pair's conversation for messages between sessions."""
    session = access_session(user=request.user, session_id=session_id)
    if not client_accepted_by(client=session.client, counselor=session.counselor):
        # Messages between sessions carry the counselor's reply-time promise: only once they took the client on.
        messages.info(request, _("Messages between sessions open once the counselor has accepted the request."))
        return redirect("sessions:session_detail", session_id=session.pk)
    conversation = services.conversation_get_or_create(client=session.client, counselor=session.counselor)
    return redirect("sessions:conversation_chat", conversation_id=conversation.pk)


def _transcript_response(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@participant_required
def conversation_transcript(request, conversation_id: int):
    """A client's own transcript (their right of access); the counselor's copy of the whole record."""
    conversation = selectors.access_conversation(user=request.user, conversation_id=conversation_id)
    text = services.transcript_export(
        user=request.user, conversation=conversation, time_zone=_viewer_zone(request.user), request=request
    )
    return _transcript_response(text, f"transcript-{conversation.pk}-{now():%Y%m%d}.txt")


@counselor_required
def session_transcript(request, session_id: int):
    """A counselor's export of one session's transcript, for their records."""
    session = access_session(user=request.user, session_id=session_id)
    conversation = selectors.conversation_for_session(session=session)
    if conversation is None:
        raise Http404
    text = services.transcript_export(
        user=request.user,
        conversation=conversation,
        session=session,
        time_zone=_viewer_zone(request.user),
        request=request,
    )
    return _transcript_response(text, f"session-{session.pk}-transcript.txt")


@admin_required
def break_glass(request, conversation_id: int):
    """An admin states why they must read a conversation (an emergency); logged, time-limited, read-only."""
    conversation = Conversation.objects.filter(pk=conversation_id).first()
    if conversation is None:
        raise Http404
    error = ""
    if request.method == "POST":
        try:
            services.break_glass_open(
                admin=request.user, conversation=conversation, reason=request.POST.get("reason", ""), request=request
            )
        except services.ChatError as exc:
            error = exc.message
        else:
            messages.warning(request, _("Break-glass access is logged and ends in 30 minutes."))
            return redirect("sessions:conversation_chat", conversation_id=conversation.pk)
    return render(request, "sessions/chat_break_glass.html", {"conversation": conversation, "error": error})


@require_POST
@counselor_required
def session_drop_record(request, drop_id: int):
    """The session's counselor records what they did when the client's connection dropped (404 for anyone else)."""
    drop = selectors.access_session_drop(user=request.user, drop_id=drop_id)
    back = reverse("sessions:session_chat", args=[drop.session_id]) + "#session-drop"
    form = SessionDropForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    try:
        drops.session_drop_record(
            drop=drop,
            counselor=request.user,
            actions=form.cleaned_data["actions"],
            note=form.cleaned_data["note"],
            request=request,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Recorded what you did about the dropped connection."))
    return redirect(back)
