"""The call page of a session: thin. Who may see it (the session's two participants), the call's gate, and the
few words the script shows; the call itself runs in the browser (static/js/call.js, docs/call-protocol.md)."""

from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from counseling.middleware import allows_camera_and_microphone
from counseling.models import Role
from counseling.permissions import role_required
from sessions.calls import selectors
from sessions.chat.services import conversation_get_or_create
from sessions.models import SessionMedium
from sessions.selectors import access_session


@allows_camera_and_microphone
@role_required(Role.CLIENT, Role.COUNSELOR)
def session_call(request, session_id: int):
    session = access_session(user=request.user, session_id=session_id)
    conversation = conversation_get_or_create(client=session.client, counselor=session.counselor)
    access = selectors.access_call(user=request.user, session_id=session.pk, conversation=conversation)
    gate = selectors.call_gate(access=access)
    if not gate and request.user.pk == session.counselor_id:
        gate = gate.addressed_to_counselor
    return render(
        request,
        "sessions/call.html",
        {
            "session": session,
            "gate": gate,
            "other": session.counselor if request.user.pk == session.client_id else session.client,
            "is_client": request.user.pk == session.client_id,
            "video": session.medium == SessionMedium.VIDEO,
            "ws_path": f"/ws/sessions/{session.pk}/call/",  # the socket routes are not in the HTTP URLconf
            "chat_url": reverse("sessions:session_chat", args=[session.pk]),
            "strings": _call_strings(video=session.medium == SessionMedium.VIDEO),
        },
    )


def _call_strings(*, video: bool) -> dict:
    """The words the call script shows, translated here (the script has no catalogue of its own)."""
    connected = (
        _("Connected. Audio and video go directly between your two devices and are not recorded.")
        if video
        else _("Connected. The sound goes directly between your two devices and is not recorded.")
    )
    return {
        "connecting": _("Connecting to the call..."),
        "waiting": _("Waiting for the other person to join..."),
        "negotiating": _("The other person is here. Connecting..."),
        "connected": connected,
        "reconnecting": _("The connection is unstable. Trying again..."),
        "failed": _("The call could not connect or was lost. Try to reconnect, or continue in the session chat."),
        "peer_left": _(
            "The other person left the call or lost their connection. Stay here to wait for them, or continue in the "
            "session chat."
        ),
        "left": _("You left the call."),
        "no_media": _(
            "Your camera or microphone could not be used. Check your browser's permission, or continue in the "
            "session chat."
        ),
        "camera_on": _("Turn camera off"),
        "camera_off": _("Turn camera on"),
        "mic_on": _("Mute microphone"),
        "mic_off": _("Unmute microphone"),
    }
