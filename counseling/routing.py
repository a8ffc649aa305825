"""Every WebSocket route of the project, gathered in one list (the authorization matrix reads it)."""

from django.urls import path

from counseling.consumers import NotificationConsumer

websocket_urlpatterns = [
    path("ws/notifications/", NotificationConsumer.as_asgi(), name="ws-notifications"),
]

try:
    from sessions.routing import websocket_urlpatterns as session_routes
except ImportError:  # the chat routes arrive with the chat app
    session_routes = []
websocket_urlpatterns += session_routes
