"""/readyz says whether this process can serve (PostgreSQL, Redis, migrations); /healthz only that it answers.
docker-compose.yml's health checks call them on the process's own address, so they answer there too."""

import json

import pytest
from django.db import connection
from django.db.utils import OperationalError
from django.test import Client

from counseling import health

pytestmark = pytest.mark.django_db


def readyz(**headers):
    response = Client().get("/readyz", **headers)
    return response, json.loads(response.content)


def test_a_process_with_every_migration_applied_is_ready(settings):
    response, body = readyz()
    assert response.status_code == 200
    assert body["ready"] is True
    assert body["checks"]["database"] == "ok" and body["checks"]["migrations"] == "ok"
    assert body["checks"]["redis"] in ("ok", "not used")
    assert response["Cache-Control"] == "no-store"


def test_a_migration_not_yet_applied_makes_the_process_not_ready():
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_migrations WHERE app = 'counseling_sessions'")
    response, body = readyz()
    assert response.status_code == 503
    assert body == {"ready": False, "checks": {**body["checks"], "migrations": "pending"}}


def test_redis_that_does_not_answer_makes_the_process_not_ready(settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response, body = readyz()
    assert response.status_code == 503
    assert body["checks"]["redis"] == "unavailable"
    assert b"127.0.0.1" not in response.content  # the public answer names no address


def test_a_database_that_does_not_answer_makes_the_process_not_ready_but_still_alive(monkeypatch):
    def down():
        raise OperationalError("could not connect to server: Connection refused (10.0.0.5)")

    monkeypatch.setitem(health.CHECKS, "database", down)
    response, body = readyz()
    assert response.status_code == 503
    assert body["checks"] == {**body["checks"], "database": "unavailable", "migrations": "unknown"}
    assert b"10.0.0.5" not in response.content
    alive = Client().get("/healthz")
    assert alive.status_code == 200 and alive.content == b"ok"


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_the_probes_answer_the_health_check_on_the_process_own_address(settings, path):
    # docker-compose.yml calls http://127.0.0.1:8000/readyz inside the container; production's ALLOWED_HOSTS
    # names only the site, and HTTPS is on behind the proxy.
    settings.ALLOWED_HOSTS = ["konseling.example.org"]
    settings.SECURE_SSL_REDIRECT = True
    response = Client().get(path, HTTP_HOST="127.0.0.1:8000")
    assert response.status_code == 200


def test_other_pages_still_refuse_a_host_that_is_not_allowed(settings):
    settings.ALLOWED_HOSTS = ["konseling.example.org"]
    assert Client().get("/", HTTP_HOST="127.0.0.1:8000").status_code == 400
