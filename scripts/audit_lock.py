"""Audit requirements.lock for known vulnerabilities (pip-audit, against PyPI's advisory data). CI runs it.

Fails (exit 1) when a pinned version has a known vulnerability, or when pip-audit breaks for a reason of its own.
Never fails because the advisory source cannot be reached from this machine: it says so and goes on (exit 0).
Run it yourself: `.venv/bin/python scripts/audit_lock.py`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"
# What pip-audit and requests say when the network or the service is not there.
UNREACHABLE = (
    "ConnectionError",
    "ConnectTimeout",
    "ReadTimeout",
    "Max retries exceeded",
    "timed out",
    "Name or service not known",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "Connection refused",
    "ServiceError",
)


def verdict(*, returncode: int, stdout: str, stderr: str) -> tuple[int, list[str]]:
    """The exit code and the lines to print, from one pip-audit run with `--format json`."""
    try:
        report = json.loads(stdout)
    except ValueError:
        if any(sign in stderr for sign in UNREACHABLE):
            return 0, ["The advisory source could not be reached from here; requirements.lock was not audited."]
        return 1, ["pip-audit failed:", stderr.strip() or f"exit code {returncode}, no report"]
    dependencies = report.get("dependencies", [])
    vulnerable = [dep for dep in dependencies if dep.get("vulns")]
    skipped = [dep for dep in dependencies if dep.get("skip_reason")]
    audited = len(dependencies) - len(skipped)
    lines = []
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
            lines.append(f"VULNERABLE {dep['name']} {dep['version']}: {vuln['id']} (fixed in: {fixes})")
    if dependencies and audited == 0:
        lines.append(
            f"The advisory source could not be reached from here (no answer for any of {len(dependencies)} "
            "packages); requirements.lock was not audited."
        )
    else:
        lines.append(f"Audited {audited} pinned packages: {len(vulnerable)} with a known vulnerability.")
        if skipped:
            lines.append("Not audited (no advisory data): " + ", ".join(dep["name"] for dep in skipped))
    return (1 if vulnerable else 0), lines


def main() -> int:
    command = [
        sys.executable,
        "-m",
        "pip_audit",
        "--disable-pip",  # the lock pins every package with its hashes: nothing to resolve or install
        "--requirement",
        str(LOCK),
        "--format",
        "json",
        "--progress-spinner",
        "off",
        "--timeout",
        "20",
    ]
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)  # noqa: S603
    except subprocess.TimeoutExpired:
        print("The advisory source did not answer within 10 minutes; requirements.lock was not audited.")
        return 0
    code, lines = verdict(returncode=run.returncode, stdout=run.stdout, stderr=run.stderr)
    print("\n".join(lines))
    return code


if __name__ == "__main__":
    sys.exit(main())
