"""Browser tests: Debian's Chromium driven by Playwright against a real Daphne process.

Run them as their own pytest invocation (`pytest -m browser`, as scripts/test does): Playwright's
sync API keeps an event loop for the whole session, which breaks async tests run after it.
"""

import os
from functools import partial
from importlib import import_module
from pathlib import Path

import pytest
from channels.testing.live import make_application, set_database_connection
from daphne.testing import DaphneProcess
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

# Playwright's sync API runs an event loop in the test thread; the ORM calls of the test itself are
# still plain synchronous code, so Django's async-safety guard must be lifted for these tests only.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"

# What the data migrations seed, in migration order: the consent versions in force and the emergency
# numbers as corrected and confirmed. Each function is idempotent.
DATA_SEEDS = [
    ("consent", "0002_publish_default_consent", "publish_defaults"),
    ("consent", "0003_publish_consent_version_2", "publish_version_2"),
    ("counseling", "0002_intake_identity_emergency", "seed_emergency_resources"),
    ("counseling", "0005_emergency_resource_sources", "correct_seed"),
]


class _MovedModels:
    """The newest historical models, found under the app a seed function names or the one the model
    moved to (EmergencyResource was seeded as counseling's and is identity's now)."""

    def __init__(self, apps):
        self.apps = apps

    def get_model(self, app_label, model_name=None):
        for label in (app_label, "identity", "crisis", "records"):
            try:
                return self.apps.get_model(label, model_name)
            except LookupError:
                continue
        raise LookupError(f"{app_label}.{model_name}")


def reseed_data_migrations() -> None:
    """Browser tests run on a database that earlier transactional tests flushed, seed included: put back
    what a real install has. With the historical models of the newest migrations: today's columns, and
    none of the models' own save rules (a published consent version refuses new sections)."""
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    apps = _MovedModels(MigrationLoader(connection).project_state().apps)
    for app_label, name, function in DATA_SEEDS:
        getattr(import_module(f"{app_label}.migrations.{name}"), function)(apps, None)


@pytest.fixture
def seeded(transactional_db):
    reseed_data_migrations()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture
def live_server_url(transactional_db, settings):
    """A real Daphne process serving HTTP and WebSockets on the test database."""
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    process = DaphneProcess(
        "localhost", partial(make_application, static_wrapper=ASGIStaticFilesHandler), setup=set_database_connection
    )
    process.start()
    while not process.ready.wait(timeout=1):
        if not process.is_alive():
            raise RuntimeError("Daphne did not start")
    yield f"http://localhost:{process.port.value}"
    process.terminate()
    process.join(timeout=10)


@pytest.fixture
def screenshot():
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def browser_login():
    """Sign a persona in through the real login page (staff: with their second factor)."""
    from tests.conftest import PASSWORD

    def login(page, live_server_url, user):
        from tests.conftest import confirmed_totp_device, current_totp_token

        # Staff get their authenticator before signing in, so the login lands on the code step.
        device = confirmed_totp_device(user) if user.role in ("counselor", "admin") else None
        page.goto(live_server_url + "/accounts/login/")
        page.get_by_label("E-mail address").fill(user.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("main").get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        if device is not None:
            # The second factor: the code step, with a code computed from the device's key.
            page.wait_for_url("**/accounts/mfa/verify/**")
            page.get_by_label("Authentication code").fill(current_totp_token(device))
            page.get_by_role("main").get_by_role("button", name="Verify").click()
            page.wait_for_url(lambda url: "/accounts/mfa/" not in url)
        return page

    return login
