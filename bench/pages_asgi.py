"""The ASGI application of the page benchmark's server processes: the chat benchmark's (bench/chat_asgi.py: the
project's application, its chat sockets with the other features' gates opened for the load's cast) with the
URLs of bench/pages_urls.py, which add the bare view every page is compared with."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "counseling.settings")

import django
from django.conf import settings

django.setup()
settings.ROOT_URLCONF = "bench.pages_urls"

from bench.chat_asgi import application  # noqa: E402, F401
