"""A server process freezes what it loaded at start-up, so full garbage collections stay short."""

import gc
import os
import subprocess
import sys
from pathlib import Path

import pytest

from counseling.server_process import freeze_startup_objects

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_startup_objects_leave_the_collectors_sight(unfrozen):
    tracked_before = len(gc.get_objects())
    assert gc.get_freeze_count() == 0
    freeze_startup_objects()
    # Django, Channels, the URL resolver and both translation catalogues: all of it, not a sample.
    assert tracked_before > 50_000 and gc.get_freeze_count() > tracked_before / 2  # less the garbage it collected
    assert len(gc.get_objects()) < tracked_before / 100


def test_a_server_process_has_its_startup_objects_frozen_once_the_application_is_built():
    """As uvicorn or daphne would: import the project's ASGI module in a fresh interpreter."""
    script = (
        "import gc, counseling.asgi; "
        "print(gc.get_freeze_count(), len(gc.get_objects()), callable(counseling.asgi.application))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "EMBEDDED_SCHEDULER": "0"},
        check=True,
    )
    frozen, tracked, built = result.stdout.split()
    assert int(frozen) > 50_000 and int(tracked) < int(frozen) / 10 and built == "True"
