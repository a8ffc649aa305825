"""The Docker build context (Dockerfile: `COPY . .`) must never carry local secrets or data into the image."""

from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _ignored(relative: str, patterns: list[str]) -> bool:
    parts = relative.split("/")
    return any(
        fnmatch(relative, p)
        or fnmatch(parts[0], p)
        or fnmatch(relative, p.removeprefix("**/"))
        or any(fnmatch(part, p.removeprefix("**/")) for part in parts)
        for p in patterns
    )


def test_local_secrets_and_data_stay_out_of_the_image():
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for path in (
        ".env",
        "var/local.env",
        "var/counseling.sqlite3",
        ".git/config",
        ".venv/bin/python",
        "test-artifacts/chat.png",
    ):
        assert _ignored(path, patterns), f"{path} would be copied into the image"
    for path in ("manage.py", "counseling/settings.py", "locale/id/LC_MESSAGES/django.po", ".env.example"):
        assert not _ignored(path, patterns), f"{path} is needed in the image"
