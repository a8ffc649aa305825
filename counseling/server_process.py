"""Set-up of a long-running server process (ASGI), done once its application is built."""

import gc

from django.urls import get_resolver
from django.utils.translation import trans_real


def freeze_startup_objects() -> None:
    """Load what every process loads anyway, then move it all out of the garbage collector's sight.

    Why: a full (generation 2) collection walks every tracked object. With Django, Channels and the
    project loaded that is well over a hundred thousand, and on the 2-core machine each full collection
    stopped a chat server's event loop for 100-145 ms, every message in flight waiting behind it
    (bench/chat_bench.py measured it with gc.callbacks). Objects that live as long as the process never
    become garbage; gc.freeze() leaves them out of every later collection (Python's documented use,
    for servers, gc.freeze). Garbage made afterwards is collected as before.
    """
    get_resolver().url_patterns  # noqa: B018 - builds the URL resolver now, not on the first request
    for language in ("en", "id"):
        trans_real.translation(language)
    gc.collect()
    gc.freeze()
