"""The ASGI application the call benchmark's server processes run: the chat benchmark's (the real project
application, the real consumers, PostgreSQL and the Redis layer, the consent, identity and licensing gates opened;
bench/chat_asgi.py), with the URLconf of bench/call_urls.py, which adds the page the benchmark drives."""

from django.conf import settings

from bench.chat_asgi import application  # noqa: F401  (sets Django up)

# Django reads ROOT_URLCONF on every request, so the page is there from the first one.
settings.ROOT_URLCONF = "bench.call_urls"
