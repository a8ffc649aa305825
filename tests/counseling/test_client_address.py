"""Who is at the other end: the right-most hop of X-Forwarded-For that is not one of our own proxies, and only
when the connection comes from one of them (counseling.client_address)."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from counseling.client_address import real_client_address, scope_client_address


@pytest.fixture
def proxies(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "192.0.2.10", "2001:db8:ffff::/48"]


@pytest.mark.parametrize(
    "remote, forwarded, expected",
    [
        # Not from a trusted proxy: the header is the client's own words and is ignored.
        ("203.0.113.9", "1.2.3.4", "203.0.113.9"),
        # One proxy: it appended the client's address.
        ("10.0.0.2", "198.51.100.7", "198.51.100.7"),
        # The client wrote something in front; our proxy appended the real address.
        ("10.0.0.2", "1.2.3.4, 198.51.100.7", "198.51.100.7"),
        # Two of our proxies in a row: skip both.
        ("10.0.0.2", "1.2.3.4, 198.51.100.7, 192.0.2.10", "198.51.100.7"),
        # Ports and brackets as some proxies write them.
        ("10.0.0.2", "198.51.100.7:51234", "198.51.100.7"),
        ("10.0.0.2", "[2001:db8::7]:443", "2001:db8::7"),
        # IPv6 proxy, IPv4-mapped peer.
        ("2001:db8:ffff::2", "2001:db8::7", "2001:db8::7"),
        ("::ffff:10.0.0.2", "198.51.100.7", "198.51.100.7"),
        # A request from inside: every hop is ours.
        ("10.0.0.2", "10.0.0.3", "10.0.0.3"),
        ("10.0.0.2", "", "10.0.0.2"),
        ("10.0.0.2", None, "10.0.0.2"),
        # Garbage where an address should be stops at the last readable hop, never believing what is left of it.
        ("10.0.0.2", "198.51.100.7, not-an-address", "10.0.0.2"),
        ("10.0.0.2", "198.51.100.7, not-an-address, 10.0.0.3", "10.0.0.3"),
        # A peer that is not an IP address at all (a Unix socket) has no address.
        ("", "198.51.100.7", None),
        (None, None, None),
    ],
)
def test_the_client_is_the_rightmost_hop_that_is_not_a_trusted_proxy(proxies, remote, forwarded, expected):
    assert real_client_address(remote_addr=remote, forwarded_for=forwarded) == expected


def test_with_no_trusted_proxies_the_header_is_never_believed(settings):
    settings.TRUSTED_PROXIES = []
    assert real_client_address(remote_addr="10.0.0.2", forwarded_for="198.51.100.7") == "10.0.0.2"


def test_a_sockets_scope_is_read_the_same_way_repeated_headers_in_order(proxies):
    scope = {
        "client": ("10.0.0.2", 50000),
        "headers": [(b"x-forwarded-for", b"1.2.3.4"), (b"X-Forwarded-For", b"198.51.100.7, 10.0.0.9")],
    }
    assert scope_client_address(scope) == "198.51.100.7"
    assert scope_client_address({"client": ("10.0.0.2", 1), "headers": []}) == "10.0.0.2"
    assert scope_client_address({"headers": [(b"x-forwarded-for", b"198.51.100.7")]}) is None


def test_a_bad_trusted_proxies_entry_stops_the_checks(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "proxy.internal"]
    with pytest.raises(SystemCheckError, match=r"proxy\.internal"):
        call_command("check")


def test_behind_a_proxy_without_trusted_proxies_the_checks_warn(settings, capsys):
    settings.BEHIND_TLS_PROXY = True
    settings.TRUSTED_PROXIES = []
    call_command("check")
    assert "counseling.W031" in capsys.readouterr().err
