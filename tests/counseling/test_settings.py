import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "0",
    "HTTPS": "1",
    "SECRET_KEY": "x" * 30 + "-production-like-secret-key-for-the-check",
    "FIELD_ENCRYPTION_KEYS": "p1:cHJvZHVjdGlvbi1saWtlLWtleS0wMTIzNDU2Nzg5YWI=",
    "AUDIT_KEY": "a1:cHJvZHVjdGlvbi1saWtlLWF1ZGl0LWtleS0wMTIzNDU=",
    "ALLOWED_HOSTS": "konseling.example",
}


def run_manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    dropped = {
        "SECRET_KEY",
        "FIELD_ENCRYPTION_KEYS",
        "AUDIT_KEY",
        "DEBUG",
        "HTTPS",
        "DATABASE_URL",
        "REDIS_URL",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    }
    clean = {k: v for k, v in os.environ.items() if k not in dropped}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_mode_refuses_to_start_without_a_secret_key():
    env = {**PRODUCTION}
    del env["SECRET_KEY"]
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "Refusing to start with DEBUG off: missing SECRET_KEY" in result.stderr


def test_production_mode_refuses_to_start_without_encryption_keys():
    env = {**PRODUCTION}
    del env["FIELD_ENCRYPTION_KEYS"]
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "missing FIELD_ENCRYPTION_KEYS" in result.stderr


def test_production_mode_refuses_to_start_without_an_audit_key():
    env = {**PRODUCTION}
    del env["AUDIT_KEY"]
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "missing AUDIT_KEY" in result.stderr


def test_an_audit_key_that_is_also_an_encryption_key_fails_the_system_check():
    reused = PRODUCTION["FIELD_ENCRYPTION_KEYS"].replace("p1:", "a1:")
    result = run_manage("check", env={**PRODUCTION, "AUDIT_KEY": reused})
    assert result.returncode != 0
    assert "AUDIT_KEY must not reuse a key of FIELD_ENCRYPTION_KEYS" in result.stderr


def test_a_malformed_audit_key_fails_the_system_check():
    result = run_manage("check", env={**PRODUCTION, "AUDIT_KEY": "a1:c2hvcnQ="})
    assert result.returncode != 0
    assert "AUDIT_KEY: key 'a1' must be 32 bytes" in result.stderr


def test_malformed_encryption_keys_fail_the_system_check():
    result = run_manage("check", env={**PRODUCTION, "FIELD_ENCRYPTION_KEYS": "p1:c2hvcnQ="})
    assert result.returncode != 0
    assert "must be 32 bytes" in result.stderr


def test_check_deploy_passes_with_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_security_headers_forbid_third_party_content(client, db):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]
