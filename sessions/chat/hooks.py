"""What the chat lets a higher app decide about a client's message, without importing it.

The chat stores messages; crisis decides whether one suggests danger (crisis.receivers registers its
watcher at start-up). A watcher has three parts:
- prepare(): load what the check needs, in a worker thread, before a socket stores messages on its loop;
- quick_check(text): on the event loop, with no database: True (risky), False (not), None (cannot tell
  here); anything but False sends the message down the slow path, where on_stored sees it;
- on_stored(message, text): inside the transaction that stores the message, with the text in memory,
  so what it opens commits with the message or not at all.
With no watcher registered nothing is flagged and every message may take the fast path.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ClientMessageWatcher:
    prepare: Callable[[], object]
    quick_check: Callable[[str], bool | None]
    on_stored: Callable[..., object]


_watchers: list[ClientMessageWatcher] = []


def client_message_watcher_register(watcher: ClientMessageWatcher) -> None:
    if watcher not in _watchers:
        _watchers.append(watcher)


def client_message_watchers() -> tuple[ClientMessageWatcher, ...]:
    return tuple(_watchers)
