"""The login throttle behind the reverse proxy: per account and per real client address, never one lock for
everyone, never a lock that lasts (counseling.services.login_is_throttled, counseling.client_address)."""

import time

import pytest
from django.urls import reverse

from counseling.models import AuditEntry
from counseling.services import login_failure_record, login_is_throttled
from tests.conftest import PASSWORD

PROXY = "10.0.0.2"
ATTACKER = "203.0.113.9"
OWNER = "198.51.100.7"
THROTTLED = "Too many failed sign-in attempts"


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    settings.LOGIN_FAILURE_LIMIT = 5
    settings.LOGIN_FAILURE_ADDRESS_LIMIT = 20
    settings.LOGIN_FAILURE_ACCOUNT_LIMIT = 50


def _sign_in(client, email, password, *, via_proxy_for=None, remote=PROXY, forwarded=None):
    headers = {"REMOTE_ADDR": remote}
    if via_proxy_for is not None:
        headers["HTTP_X_FORWARDED_FOR"] = via_proxy_for
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(reverse("login"), {"username": email, "password": password}, **headers)


def _signed_in(response) -> bool:
    return response.status_code == 302


def test_failures_from_one_person_behind_the_proxy_do_not_lock_out_everyone(behind_proxy, client, client_b):
    for _ in range(25):
        _sign_in(client, "nobody@example.test", "wrong", via_proxy_for=ATTACKER)
    client.cookies.clear()
    assert _signed_in(_sign_in(client, client_b.email, PASSWORD, via_proxy_for=OWNER))


def test_a_flood_on_one_account_from_one_address_does_not_lock_out_its_owner_elsewhere(behind_proxy, client, client_a):
    for _ in range(60):
        _sign_in(client, client_a.email, "wrong-guess", via_proxy_for=ATTACKER)
    assert THROTTLED in _sign_in(client, client_a.email, PASSWORD, via_proxy_for=ATTACKER).content.decode()
    assert _signed_in(_sign_in(client, client_a.email, PASSWORD, via_proxy_for=OWNER))
    # Refused attempts are not even tried: only the first five reached the password check.
    assert AuditEntry.objects.filter(action="auth.login_failed", ip_address=ATTACKER).count() == 5


def test_one_address_trying_many_accounts_is_locked_out_of_all_of_them(behind_proxy, settings, client, client_a):
    settings.LOGIN_FAILURE_ADDRESS_LIMIT = 3
    for number in range(3):
        _sign_in(client, f"guess{number}@example.test", "password1", via_proxy_for=ATTACKER)
    assert THROTTLED in _sign_in(client, client_a.email, PASSWORD, via_proxy_for=ATTACKER).content.decode()
    assert _signed_in(_sign_in(client, client_a.email, PASSWORD, via_proxy_for=OWNER))


def test_guessing_from_many_addresses_locks_the_account(behind_proxy, settings, client, client_a):
    settings.LOGIN_FAILURE_ACCOUNT_LIMIT = 6
    for number in range(6):
        _sign_in(client, client_a.email, "wrong-guess", via_proxy_for=f"203.0.113.{100 + number}")
    assert THROTTLED in _sign_in(client, client_a.email, PASSWORD, via_proxy_for=OWNER).content.decode()


def test_every_lock_ends_with_its_window_however_long_the_guessing_goes_on(behind_proxy, settings, client_a):
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 2
    started = time.monotonic()
    for number in range(60):
        address = f"203.0.113.{number}"
        if not login_is_throttled(email=client_a.email, ip=address):
            login_failure_record(email=client_a.email, ip=address)
    assert login_is_throttled(email=client_a.email, ip=OWNER)
    assert login_is_throttled(email=client_a.email, ip="203.0.113.1")
    # Failures within the window do not extend it: the first one started it.
    time.sleep(max(0.0, started + 2.2 - time.monotonic()))
    assert not login_is_throttled(email=client_a.email, ip=OWNER)
    assert not login_is_throttled(email=client_a.email, ip="203.0.113.1")


def test_a_forwarded_header_from_outside_the_trusted_proxies_is_ignored(behind_proxy, client, client_a):
    # A client talking to the server directly names a fresh address on every try: it is still its own address.
    for number in range(5):
        _sign_in(client, client_a.email, "wrong-guess", remote=ATTACKER, forwarded=f"192.0.2.{number}")
    refused = _sign_in(client, client_a.email, PASSWORD, remote=ATTACKER, forwarded="192.0.2.99")
    assert THROTTLED in refused.content.decode()
    assert set(AuditEntry.objects.filter(action="auth.login_failed").values_list("ip_address", flat=True)) == {ATTACKER}


def test_an_address_the_client_puts_in_front_of_the_proxys_is_not_believed(behind_proxy, client, client_a):
    for number in range(5):
        _sign_in(client, client_a.email, "wrong-guess", forwarded=f"192.0.2.{number}, {ATTACKER}")
    assert THROTTLED in _sign_in(client, client_a.email, PASSWORD, forwarded=f"192.0.2.50, {ATTACKER}").content.decode()


def test_the_audit_log_records_the_real_client_address_of_a_sign_in(behind_proxy, client, client_a):
    assert _signed_in(_sign_in(client, client_a.email, PASSWORD, forwarded=f"192.0.2.1, {OWNER}, 10.0.0.7"))
    entry = AuditEntry.objects.get(action="auth.login", actor_id=client_a.pk)
    assert entry.ip_address == OWNER


def test_without_trusted_proxies_the_peer_is_the_client(settings, client, client_a):
    settings.TRUSTED_PROXIES = []
    assert _signed_in(_sign_in(client, client_a.email, PASSWORD, remote=PROXY, forwarded=OWNER))
    assert AuditEntry.objects.get(action="auth.login", actor_id=client_a.pk).ip_address == PROXY
