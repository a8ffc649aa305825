"""WebSocket routes of the sessions app (gathered by counseling/routing.py, behind origin and auth checks)."""

from django.urls import path

from sessions.chat.consumers import ChatConsumer

websocket_urlpatterns = [
    # Messages between sessions (asynchronous) in the pair's one conversation.
    path("ws/chat/<int:conversation_id>/", ChatConsumer.as_asgi(), name="ws-chat"),
    # The live chat of one session: the same conversation, gated by the session's start gate.
    path("ws/chat/<int:conversation_id>/session/<int:session_id>/", ChatConsumer.as_asgi(), name="ws-session-chat"),
]
