"""Dependencies (issue 21, finding 9): one lock pins every package with its hashes, everything installs from it,
and CI's audit of it fails for a known vulnerability but never for an advisory source it cannot reach."""

import importlib.util
import json
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("audit_lock", ROOT / "scripts" / "audit_lock.py")
audit_lock = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(audit_lock)

LOCK = (ROOT / "requirements.lock").read_text()
PINNED = {
    match.group(1).lower().replace("_", "-")
    for match in re.finditer(r"^([A-Za-z0-9._-]+)==\S+ .*?\\\n\s+--hash=sha256:", LOCK, re.MULTILINE)
}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_every_dependency_and_dev_tool_is_pinned_with_a_hash():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"]}
    assert wanted - PINNED == set()
    unhashed = [line for line in LOCK.splitlines() if re.match(r"^[A-Za-z0-9]", line) and "\\" not in line]
    assert unhashed == []


@pytest.mark.parametrize(
    ("path", "command"),
    [
        ("scripts/setup.sh", "--require-hashes -r requirements.lock"),
        ("Dockerfile", "--require-hashes -r requirements.lock"),
        (".ci/run", "scripts/audit_lock.py"),
    ],
)
def test_setup_the_image_and_ci_use_the_lock(path, command):
    text = (ROOT / path).read_text()
    assert command in text
    assert "--no-deps" in text or path == ".ci/run"


def report(*deps):
    return json.dumps({"dependencies": list(deps), "fixes": []})


def test_a_known_vulnerability_fails_the_audit():
    code, lines = audit_lock.verdict(
        returncode=1,
        stdout=report(
            {"name": "django", "version": "5.2.0", "vulns": [{"id": "PYSEC-2026-1", "fix_versions": ["5.2.9"]}]},
            {"name": "redis", "version": "8.2.0", "vulns": []},
        ),
        stderr="",
    )
    assert code == 1
    assert "VULNERABLE django 5.2.0: PYSEC-2026-1 (fixed in: 5.2.9)" in lines


def test_a_clean_lock_passes():
    code, lines = audit_lock.verdict(
        returncode=0, stdout=report({"name": "redis", "version": "8.2.0", "vulns": []}), stderr=""
    )
    assert code == 0 and lines == ["Audited 1 pinned packages: 0 with a known vulnerability."]


def test_an_advisory_source_that_answers_for_no_package_is_reported_and_does_not_fail():
    skipped = {"name": "redis", "version": "8.2.0", "skip_reason": "Dependency not found on PyPI"}
    code, lines = audit_lock.verdict(returncode=0, stdout=report(skipped, skipped), stderr="")
    assert code == 0 and "could not be reached" in lines[0] and "not audited" in lines[0]


def test_no_network_is_reported_and_does_not_fail():
    stderr = "requests.exceptions.ConnectionError: HTTPSConnectionPool(host=...): Max retries exceeded"
    code, lines = audit_lock.verdict(returncode=1, stdout="", stderr=stderr)
    assert code == 0 and "could not be reached" in lines[0]


def test_pip_audit_breaking_for_another_reason_fails():
    code, lines = audit_lock.verdict(returncode=1, stdout="", stderr="ValueError: bad requirement line 12")
    assert code == 1 and "bad requirement" in lines[1]
