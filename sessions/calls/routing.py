"""WebSocket routes of the calls (gathered by counseling/routing.py, behind origin and auth checks)."""

from django.urls import path

from sessions.calls.consumers import CallConsumer

websocket_urlpatterns = [
    # Signaling of one session's video or voice call, between its two participants (docs/call-protocol.md).
    path("ws/sessions/<int:session_id>/call/", CallConsumer.as_asgi(), name="ws-session-call"),
]
