"""Every WebSocket route of the project, gathered in one list (the authorization matrix reads it).

Project wiring, like asgi.py: the one core module allowed to import an app (the import contract says so)."""

from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path, re_path

from counseling.consumers import NotificationConsumer, UnknownPathConsumer
from counseling.socket_limit import SocketLimitMiddleware
from sessions.calls.routing import websocket_urlpatterns as call_routes
from sessions.chat.routing import websocket_urlpatterns as chat_routes

websocket_urlpatterns = [
    path("ws/notifications/", NotificationConsumer.as_asgi(), name="ws-notifications"),
]
websocket_urlpatterns += chat_routes
websocket_urlpatterns += call_routes


def websocket_application():
    """The WebSocket stack of asgi.py: origin check, cookies, session and user, the per-person socket limit,
    the routes, and last a consumer that closes any other path with 4404 (Channels' router would answer an
    unknown path with a 500 handshake and a traceback). The authorization matrix covers the routes above."""
    fallback = re_path(r"", UnknownPathConsumer.as_asgi())
    return AllowedHostsOriginValidator(
        AuthMiddlewareStack(SocketLimitMiddleware(URLRouter([*websocket_urlpatterns, fallback])))
    )
