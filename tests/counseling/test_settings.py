import datetime
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "0",
    "HTTPS": "1",
    "SECRET_KEY": "x" * 30 + "-production-like-secret-key-for-the-check",
    # A dated key-encryption key epoch (counseling.kek_epochs), started today.
    "FIELD_ENCRYPTION_KEYS": f"{datetime.date.today().isoformat()}:cHJvZHVjdGlvbi1saWtlLWtleS0wMTIzNDU2Nzg5YWI=",
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
    reused = "a1:" + PRODUCTION["FIELD_ENCRYPTION_KEYS"].split(":", 1)[1]
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


def test_production_refuses_the_example_secret_key_of_env_example():
    env = {**PRODUCTION, "SECRET_KEY": env_example()["SECRET_KEY"]}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "counseling.E004" in result.stderr and "SECRET_KEY is the example value" in result.stderr
    assert "secrets.token_urlsafe(50)" in result.stderr


@pytest.mark.parametrize("name", ["FIELD_ENCRYPTION_KEYS", "AUDIT_KEY"])
def test_production_refuses_the_example_keys_of_env_example(name):
    # Even under another id, and beside a real key: the example key is public.
    example = env_example()[name].split(":", 1)[1]
    env = {**PRODUCTION, name: f"{PRODUCTION[name]},renamed:{example}"}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert f"{name} holds the example key of .env.example (renamed)" in result.stderr
    assert "base64.b64encode(os.urandom(32))" in result.stderr


def test_production_with_undated_keys_is_warned_that_backups_stay_readable():
    env = {**PRODUCTION, "FIELD_ENCRYPTION_KEYS": "p1:" + PRODUCTION["FIELD_ENCRYPTION_KEYS"].split(":", 1)[1]}
    result = run_manage("check", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "counseling.W006" in result.stderr


def env_example() -> dict:
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            name, _sep, value = line.partition("=")
            values[name] = value
    return values
