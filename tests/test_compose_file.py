"""docker-compose.yml, the production topology (issue 21, finding 8). No Docker engine runs here; CI validates the
file with `docker-compose config -q` and this test reads what it says."""

from pathlib import Path

import yaml

COMPOSE = yaml.safe_load((Path(__file__).resolve().parents[1] / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
WEB = [name for name, service in SERVICES.items() if "counseling.asgi:application" in service.get("command", [])]


def test_the_web_processes_are_one_kind_of_asgi_server_reading_the_proxy_headers():
    assert len(WEB) >= 2
    servers = {SERVICES[name]["command"][0] for name in WEB}
    assert servers == {"daphne"}
    for name in WEB:
        assert "--proxy-headers" in SERVICES[name]["command"], name
        # Daphne trusts the headers from whoever connects: only the proxy on this host may.
        assert all(port.startswith("127.0.0.1:") for port in SERVICES[name]["ports"]), name


def test_web_worker_and_beat_start_only_after_migrate_completed():
    assert SERVICES["migrate"]["command"][-2:] == ["migrate", "--noinput"]
    for name in [*WEB, "worker", "beat"]:
        assert SERVICES[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}, name


def test_the_web_processes_reach_postgresql_through_pgbouncer_and_close_their_connection_after_each_request():
    """Under ASGI each request runs in its own thread: a persistent connection is never reused there, it lingers
    until the thread is collected (and holds a pooled server connection meanwhile). The rest connect directly."""
    pooler = SERVICES["pgbouncer"]
    assert pooler["image"].startswith("edoburu/pgbouncer:")
    assert pooler["environment"]["DB_HOST"] == "postgres" and pooler["environment"]["POOL_MODE"] == "session"
    assert pooler["depends_on"]["postgres"] == {"condition": "service_healthy"}
    for name in WEB:
        environment = SERVICES[name]["environment"]
        assert "@pgbouncer:5432/" in environment["DATABASE_URL"], name
        assert environment["DB_CONN_MAX_AGE"] == "0", name
        assert "@postgres:5432/" in environment["DATABASE_DIRECT_URL"], name  # the chat's own: no pooler's hop
        assert environment["AUDIT_HEAD_FILE"] == SERVICES["worker"]["environment"]["AUDIT_HEAD_FILE"], name
        assert SERVICES[name]["depends_on"]["pgbouncer"] == {"condition": "service_healthy"}, name
    for name in ("worker", "beat", "migrate"):
        assert "DATABASE_URL" not in SERVICES[name]["environment"], name  # .env's: PostgreSQL itself


def test_redis_keeps_queued_tasks_across_a_restart():
    command = SERVICES["redis"]["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert any(volume.endswith(":/data") for volume in SERVICES["redis"]["volumes"])


def test_the_web_health_checks_ask_for_readiness():
    for name in WEB:
        assert "/readyz" in " ".join(SERVICES[name]["healthcheck"]["test"]), name


def _coturn_option(name: str) -> list[str]:
    prefix = f"--{name}="
    return [item[len(prefix) :] for item in SERVICES["coturn"]["command"] if item.startswith(prefix)]


def test_coturn_accepts_only_the_short_lived_credentials_derived_from_the_shared_secret():
    coturn = SERVICES["coturn"]
    assert coturn["image"].startswith("coturn/coturn:")
    assert "--use-auth-secret" in coturn["command"]
    # Expanded from the container's environment by the image's entrypoint; the value comes from .env.
    assert _coturn_option("static-auth-secret") == ["$$CALL_TURN_SECRET"]
    assert coturn["environment"]["CALL_TURN_SECRET"] == "${CALL_TURN_SECRET}"
    assert not any(item.startswith(("--lt-cred-mech", "--user=", "--no-auth")) for item in coturn["command"])
    assert _coturn_option("realm") == ["${TURN_REALM}"]


def test_coturn_listens_on_3478_over_udp_and_tcp_with_a_relay_port_range():
    ports = SERVICES["coturn"]["ports"]
    assert {"3478:3478/udp", "3478:3478/tcp"} <= set(ports)
    [low], [high] = _coturn_option("min-port"), _coturn_option("max-port")
    assert f"{low}-{high}:{low}-{high}/udp" in ports
    assert int(high) > int(low)


def test_the_relay_reaches_no_private_network_or_this_host():
    denied = _coturn_option("denied-peer-ip")
    for private in ("10.0.0.0", "127.0.0.0", "172.16.0.0", "192.168.0.0", "169.254.0.0"):
        assert any(item.startswith(private + "-") for item in denied), private
    assert "--no-multicast-peers" in SERVICES["coturn"]["command"]


def test_coturn_has_a_health_check_and_the_example_environment_names_its_variables():
    assert "turnutils_stunclient" in SERVICES["coturn"]["healthcheck"]["test"]
    example = (Path(__file__).resolve().parents[1] / ".env.example").read_text()
    for name in ("CALL_STUN_URLS", "CALL_TURN_URLS", "CALL_TURN_SECRET", "CALL_TURN_TTL_SECONDS", "TURN_REALM"):
        assert f"\n{name}=" in example, name
