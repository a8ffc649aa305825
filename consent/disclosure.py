"""What a higher app adds to a counselor's disclosure in the consent, without consent importing it.

consent sits below licensing. licensing registers, at start-up (licensing.receivers), the one function
that lists a counselor's credentials: `credentials(counselor, at) -> list[str]`, one line per verified,
currently valid licence with its issuing body, in the active language. With none registered the
disclosure says that no verified licence is on record, never a self-declared title in its place.
"""

from __future__ import annotations

from collections.abc import Callable

_providers: dict[str, Callable] = {}


def counselor_credentials_register(name: str, provider: Callable) -> None:
    _providers[name] = provider


def counselor_credentials(*, counselor, at) -> list[str]:
    lines: list[str] = []
    for provider in _providers.values():
        lines.extend(provider(counselor=counselor, at=at))
    return lines
