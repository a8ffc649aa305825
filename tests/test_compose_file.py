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


def test_redis_keeps_queued_tasks_across_a_restart():
    command = SERVICES["redis"]["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert any(volume.endswith(":/data") for volume in SERVICES["redis"]["volumes"])


def test_the_web_health_checks_ask_for_readiness():
    for name in WEB:
        assert "/readyz" in " ".join(SERVICES[name]["healthcheck"]["test"]), name
