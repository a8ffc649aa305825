"""ASGI entry point: HTTP through Django, WebSockets through Channels behind origin and auth checks."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "counseling.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from counseling.embedded_jobs import with_embedded_scheduler  # noqa: E402
from counseling.routing import websocket_application  # noqa: E402
from counseling.server_process import freeze_startup_objects  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": websocket_application(),
    }
)

if settings.EMBEDDED_JOBS and os.environ.get("EMBEDDED_SCHEDULER", "1") == "1":
    application = with_embedded_scheduler(application)

freeze_startup_objects()
