"""The ICE servers a participant's browser may use to reach the other one (issue 18).

STUN tells a browser the address the internet sees it at; TURN relays the call, still encrypted end to end by
DTLS-SRTP, when no direct path exists (symmetric NAT, firewalls that allow only outgoing TCP/TLS). Our TURN server
is coturn with `use-auth-secret`: it shares CALL_TURN_SECRET with us and accepts, until the time it names, a
username "<expiry unix time>:<user id>" whose password is base64(HMAC-SHA1(secret, username)) (the TURN REST
scheme). So the page gets a credential that expires on its own and is bound to one person; the secret never
leaves the server, and a copied credential is worthless after CALL_TURN_TTL_SECONDS.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime

from django.conf import settings

from counseling.clock import now


def turn_credential(*, secret: str, username: str) -> str:
    """coturn's password for a TURN REST username: base64 of the HMAC-SHA1 of the username under the secret."""
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def ice_servers_for(*, user, at: datetime | None = None) -> list[dict]:
    """RTCIceServer dicts for this user: STUN urls, and TURN with a short-lived username
    "<expiry-unix>:<user.pk>" and credential base64(HMAC-SHA1(CALL_TURN_SECRET, username)).

    No TURN entry at all without a secret: a TURN server offered without a valid credential would only make
    the browser wait for a relay that refuses it."""
    servers: list[dict] = []
    if settings.CALL_STUN_URLS:
        servers.append({"urls": list(settings.CALL_STUN_URLS)})
    secret = settings.CALL_TURN_SECRET
    if secret and settings.CALL_TURN_URLS:
        expiry = int((at or now()).timestamp()) + settings.CALL_TURN_TTL_SECONDS
        username = f"{expiry}:{user.pk}"
        servers.append(
            {
                "urls": list(settings.CALL_TURN_URLS),
                "username": username,
                "credential": turn_credential(secret=secret, username=username),
            }
        )
    return servers
