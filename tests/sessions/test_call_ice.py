"""The ICE servers a call page gets (sessions.calls.ice): STUN from the settings, and TURN with coturn's short-lived
TURN REST credentials (use-auth-secret), never the secret itself."""

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest

from sessions.calls.ice import ice_servers_for
from tests.counseling.test_settings import PRODUCTION, env_example, run_manage

SECRET = "turn-shared-secret-for-tests-only"
AT = datetime(2026, 12, 6, 19, 0, tzinfo=UTC)


@pytest.fixture
def turn(settings):
    settings.CALL_STUN_URLS = ["stun:turn.example.test:3478"]
    settings.CALL_TURN_URLS = ["turn:turn.example.test:3478?transport=udp", "turn:turn.example.test:3478?transport=tcp"]
    settings.CALL_TURN_SECRET = SECRET
    settings.CALL_TURN_TTL_SECONDS = 3600
    return settings


def _turn_entry(servers):
    [entry] = [server for server in servers if any(url.startswith("turn") for url in server["urls"])]
    return entry


def test_stun_comes_first_with_the_configured_urls(turn, client_a):
    servers = ice_servers_for(user=client_a, at=AT)
    assert servers[0] == {"urls": ["stun:turn.example.test:3478"]}
    assert _turn_entry(servers)["urls"] == turn.CALL_TURN_URLS


def test_the_turn_credential_is_the_hmac_sha1_of_the_username_under_the_shared_secret(turn, client_a):
    entry = _turn_entry(ice_servers_for(user=client_a, at=AT))
    # What coturn computes with static-auth-secret, written out independently of sessions.calls.ice.
    expected = base64.b64encode(hmac.new(SECRET.encode(), entry["username"].encode(), "sha1").digest()).decode()
    assert entry["credential"] == expected
    wrong = base64.b64encode(hmac.new(b"another secret", entry["username"].encode(), hashlib.sha1).digest())
    assert entry["credential"] != wrong.decode()


def test_the_username_names_the_expiry_and_the_person(turn, client_a, counselor_a):
    expiry, person = _turn_entry(ice_servers_for(user=client_a, at=AT))["username"].split(":")
    assert int(expiry) == int(AT.timestamp()) + 3600
    assert person == str(client_a.pk)
    other = _turn_entry(ice_servers_for(user=counselor_a, at=AT))
    assert other["username"] == f"{int(AT.timestamp()) + 3600}:{counselor_a.pk}"
    assert other["credential"] != _turn_entry(ice_servers_for(user=client_a, at=AT))["credential"]


def test_the_credential_expires_after_the_configured_seconds(turn, client_a):
    turn.CALL_TURN_TTL_SECONDS = 600
    expiry = int(_turn_entry(ice_servers_for(user=client_a, at=AT))["username"].split(":")[0])
    assert expiry - int(AT.timestamp()) == 600


def test_without_a_time_the_expiry_counts_from_now(turn, client_a):
    before = int(datetime.now(UTC).timestamp())
    expiry = int(_turn_entry(ice_servers_for(user=client_a))["username"].split(":")[0])
    assert before + 3600 <= expiry <= int(datetime.now(UTC).timestamp()) + 3600


def test_the_secret_itself_is_never_in_what_the_page_gets(turn, client_a):
    page_data = json.dumps(ice_servers_for(user=client_a, at=AT))
    assert SECRET not in page_data
    assert base64.b64encode(SECRET.encode()).decode() not in page_data
    assert set(_turn_entry(json.loads(page_data))) == {"urls", "username", "credential"}


def test_without_a_secret_there_is_no_turn_entry_only_stun(turn, client_a):
    turn.CALL_TURN_SECRET = ""
    assert ice_servers_for(user=client_a, at=AT) == [{"urls": ["stun:turn.example.test:3478"]}]


def test_with_nothing_configured_the_browsers_use_their_own_addresses_only(settings, client_a):
    settings.CALL_STUN_URLS = []
    settings.CALL_TURN_URLS = []
    settings.CALL_TURN_SECRET = SECRET
    assert ice_servers_for(user=client_a, at=AT) == []


def test_production_refuses_the_example_turn_secret_of_env_example():
    # A public secret lets anyone make credentials for our relay.
    result = run_manage("check", env={**PRODUCTION, "CALL_TURN_SECRET": env_example()["CALL_TURN_SECRET"]})
    assert result.returncode != 0
    assert "counseling.E009" in result.stderr and "CALL_TURN_SECRET is the example value" in result.stderr
    assert run_manage("check", env={**PRODUCTION, "CALL_TURN_SECRET": "a-real-secret-" + "x" * 30}).returncode == 0
