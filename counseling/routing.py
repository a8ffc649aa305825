"""Every WebSocket route of the project, gathered in one list (the authorization matrix reads it).

Project wiring, like asgi.py: the one core module allowed to import an app (the import contract says so)."""

from django.urls import path

from counseling.consumers import NotificationConsumer
from sessions.chat.routing import websocket_urlpatterns as chat_routes

websocket_urlpatterns = [
    path("ws/notifications/", NotificationConsumer.as_asgi(), name="ws-notifications"),
]
websocket_urlpatterns += chat_routes
