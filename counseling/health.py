"""Liveness and readiness, for the process manager and the proxy (docker-compose.yml's health checks).

`/healthz` (liveness) says only that the process answers; it touches nothing else, so a database outage never
gets a healthy process restarted. `/readyz` (readiness) says whether this process can serve now: PostgreSQL
answers, Redis answers (when the site uses it), and every migration in the code is applied to the database.
"""

from __future__ import annotations

import logging

import redis
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponse, JsonResponse

log = logging.getLogger(__name__)
REDIS_TIMEOUT_SECONDS = 2
PROBE_PATHS = ("/healthz", "/readyz")


def _database() -> str:
    connection = connections[DEFAULT_DB_ALIAS]
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _redis_urls() -> list[str]:
    urls = [settings.REDIS_URL, settings.CELERY_BROKER_URL]
    return list(dict.fromkeys(url for url in urls if url.startswith(("redis://", "rediss://", "unix://"))))


def _redis() -> str:
    urls = _redis_urls()
    if not urls:
        return "not used"  # the embedded default: in-memory layer and eager jobs (README, "Two ways to run")
    for url in urls:
        client = redis.Redis.from_url(
            url, socket_connect_timeout=REDIS_TIMEOUT_SECONDS, socket_timeout=REDIS_TIMEOUT_SECONDS
        )
        try:
            client.ping()
        finally:
            client.close()
    return "ok"


def _migrations() -> str:
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return "ok" if not plan else "pending"


CHECKS = {"database": _database, "redis": _redis, "migrations": _migrations}


def readiness() -> dict[str, str]:
    """Each check's outcome: "ok", "not used", "pending" (migrations) or "unavailable". Why a check failed goes
    to the log only: the answer is public and names no host, address or error."""
    results = {}
    for name, check in CHECKS.items():
        if name == "migrations" and results.get("database") != "ok":
            results[name] = "unknown"
            continue
        try:
            results[name] = check()
        except Exception:
            log.warning("readiness check %s failed", name, exc_info=True)
            results[name] = "unavailable"
    return results


def healthz_response() -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def readyz_response() -> JsonResponse:
    results = readiness()
    ready = all(value in ("ok", "not used") for value in results.values())
    response = JsonResponse({"ready": ready, "checks": results}, status=200 if ready else 503)
    response["Cache-Control"] = "no-store"
    return response


class ProbeMiddleware:
    """Answers the two probes first, before the host check, the HTTPS redirect, sessions and sign-in: a health
    check calls the process on its own address (http://127.0.0.1:8000), which is not one of ALLOWED_HOSTS, and
    must learn about the process, not be redirected. The answers name no host and no user."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info in PROBE_PATHS and request.method in ("GET", "HEAD"):
            response = healthz_response() if request.path_info == "/healthz" else readyz_response()
            response["X-Content-Type-Options"] = "nosniff"
            # Answered before the security-headers middleware: a probe's answer loads nothing, as every page's.
            response["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
            return response
        return self.get_response(request)
