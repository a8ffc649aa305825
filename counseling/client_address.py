"""The address of the person at the other end of a request or socket, behind our own proxies.

Behind a reverse proxy every connection comes from the proxy's address, so REMOTE_ADDR alone would put every
person under one address (one login throttle for everyone, one address in the audit log). The proxy says whom
it served in X-Forwarded-For, but anyone can send that header too: it is believed only when the connection
comes from a proxy named in TRUSTED_PROXIES (addresses or CIDR networks; empty: nobody is trusted and
X-Forwarded-For is ignored).

Each proxy appends the address it was connected from, so the header is read from the right: past our own
proxies, the first hop that is not one of them is the client. Everything left of it was written by the client
or by proxies we do not run, and is never believed (the left-most entry is the one an attacker chooses).
The login throttle, the audit log and the chat socket all ask this module, so they agree on who someone is.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def trusted_proxy_networks() -> tuple[Network, ...]:
    """TRUSTED_PROXIES parsed; a bad entry raises ValueError (the system check counseling.E030 names it)."""
    return _networks(tuple(settings.TRUSTED_PROXIES))


def _parse(value: str) -> Address | None:
    """An address as a proxy writes it: "203.0.113.7", "2001:db8::1", "[2001:db8::1]:443" or "203.0.113.7:5678"."""
    value = value.strip()
    if value.startswith("[") and "]" in value:
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: Address, networks: tuple[Network, ...]) -> bool:
    return any(address.version == network.version and address in network for network in networks)


def real_client_address(*, remote_addr: str | None, forwarded_for: str | None) -> str | None:
    """The client's address: the peer itself unless it is a trusted proxy; then the right-most hop of
    X-Forwarded-For that is not a trusted proxy. None when the peer's address is not an IP address.

    If every hop is a trusted proxy, the left-most of them is the client (a request from inside). An entry that
    is not an address stops the walk at the last hop we could read: a trusted proxy never writes one."""
    peer = _parse(remote_addr or "")
    if peer is None:
        return None
    networks = trusted_proxy_networks()
    if not networks or not _trusted(peer, networks):
        return str(peer)
    client = peer
    for hop in reversed((forwarded_for or "").split(",")):
        if not hop.strip():
            continue
        address = _parse(hop)
        if address is None:
            break
        client = address
        if not _trusted(address, networks):
            break
    return str(client)


def request_client_address(request) -> str | None:
    """real_client_address of a Django request (None: no request, e.g. a job)."""
    if request is None:
        return None
    return real_client_address(
        remote_addr=request.META.get("REMOTE_ADDR"), forwarded_for=request.META.get("HTTP_X_FORWARDED_FOR")
    )


def scope_client_address(scope) -> str | None:
    """real_client_address of an ASGI scope (a WebSocket): its peer and its X-Forwarded-For headers, joined in
    order as Django joins repeated headers."""
    client = scope.get("client")
    forwarded = [
        value.decode("latin-1") for name, value in scope.get("headers", ()) if name.lower() == b"x-forwarded-for"
    ]
    return real_client_address(remote_addr=client[0] if client else None, forwarded_for=",".join(forwarded))
