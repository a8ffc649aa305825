#!/usr/bin/env python
import os
import sys
from pathlib import Path


def load_local_env() -> None:
    """Read var/local.env (written by scripts/run) for developer commands; the environment wins."""
    path = Path(__file__).resolve().parent / "var" / "local.env"
    if not path.exists():
        return
    for line in path.read_text().splitlines():
        name, sep, value = line.strip().partition("=")
        if sep and not name.startswith("#"):
            os.environ.setdefault(name.strip(), value.strip())


def main():
    load_local_env()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "counseling.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
