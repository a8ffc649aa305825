"""ICE servers for a call. A STUB of calls-edge's module (same name, same signature): STUN urls from settings and
no TURN. The merge keeps calls-edge's version, which adds TURN with short-lived credentials (docs/call-protocol.md)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings


def ice_servers_for(*, user, at: datetime | None = None) -> list[dict]:
    """RTCIceServer dicts for this user: STUN urls, and TURN with a short-lived username
    "<expiry-unix>:<user.pk>" and credential base64(HMAC-SHA1(CALL_TURN_SECRET, username))."""
    urls = list(getattr(settings, "CALL_STUN_URLS", []))
    return [{"urls": urls}] if urls else []
