"""The cast and the shared fixtures. Every access test uses these personas."""

import os
import tempfile
from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils import translation

from counseling.clock import now
from counseling.models import ClientProfile, CounselorProfile, Role, User

PASSWORD = "a-long-test-password-42"

# Servers and commands the tests start export the audit head here, never to a checkout's var/ (whose heads
# belong to the developer's own database); each test in this process gets a file of its own (below).
os.environ["AUDIT_HEAD_FILE"] = str(Path(tempfile.mkdtemp(prefix="audit-heads-")) / "heads.jsonl")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's set-up; at the end, before it drops the PostgreSQL test database, end the
    sessions still open on it (worker threads of async tests keep theirs), or the drop fails with
    "being accessed by other users" and leaves the database behind."""
    yield
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )


@pytest.fixture(autouse=True)
def _audit_heads_of_this_test(settings, tmp_path):
    """The heads exported in one test say nothing about the next test's (rolled back) audit log."""
    settings.AUDIT_HEAD_FILE = str(tmp_path / "audit-heads.jsonl")


@pytest.fixture(autouse=True)
def _language_of_this_test():
    """A page request leaves its language active in the thread (LocaleMiddleware and ChosenLanguageMiddleware
    activate, nothing deactivates): an Indonesian client's page must not make the next test's messages Indonesian."""
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _channels_db_trap(request, monkeypatch):
    # django/channels#2118: Channels closes old connections outside pytest-django's guard, which
    # fails tests without the django_db mark. Neutralise it only for those tests (STACK.md).
    if (
        not request.node.get_closest_marker("django_db")
        and "db" not in request.fixturenames
        and "transactional_db" not in request.fixturenames
    ):
        import channels.db

        monkeypatch.setattr(channels.db, "close_old_connections", lambda: None)


def make_client(email: str, display_name: str, language: str = "en", time_zone: str = "Asia/Jakarta") -> User:
    """A client who has confirmed their e-mail address (as every account made before verification existed)."""
    user = User.objects.create_user(email=email, password=PASSWORD, role=Role.CLIENT, email_verified_at=now())
    ClientProfile.objects.create(user=user, display_name=display_name, preferred_language=language, time_zone=time_zone)
    return user


def make_counselor(email: str, display_name: str, country: str = "ID") -> User:
    user = User.objects.create_user(email=email, password=PASSWORD, role=Role.COUNSELOR, email_verified_at=now())
    CounselorProfile.objects.create(
        user=user,
        display_name=display_name,
        professional_title="Psikolog Klinis",
        practice_location="Yogyakarta, Indonesia",
        practice_country=country,
    )
    return user


@pytest.fixture
def client_a(db):
    return make_client("a@clients.test", "Client A", language="id")


@pytest.fixture
def client_b(db):
    return make_client("b@clients.test", "Client B", time_zone="America/Chicago")


@pytest.fixture
def counselor_a(db):
    return make_counselor("counselor.a@staff.test", "Counselor A")


@pytest.fixture
def counselor_b(db):
    return make_counselor("counselor.b@staff.test", "Counselor B", country="US")


@pytest.fixture
def admin_user(db):
    return User.objects.create_superuser(email="admin@staff.test", password=PASSWORD)


@pytest.fixture
def redis_url():
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("needs the real Redis: set REDIS_URL (.ci/run does)")
    return url


@pytest.fixture(autouse=True)
def _forget_process_caches():
    from counseling import on_loop
    from counseling.crypto import key_cache
    from crisis.risk import risk_phrases_changed

    key_cache.evict()
    risk_phrases_changed()  # tests change phrases with queryset updates, which send no signal
    yield
    key_cache.evict()
    risk_phrases_changed()
    on_loop.close_all()  # connections of this test's event loop (chat sockets on PostgreSQL)


@pytest.fixture
def staff_login():
    """Sign a counselor or admin in for the Django test client, with a second factor if required.

    Every test of a staff page uses this, so the MFA rule (counseling.permissions) is met in one place.
    """

    def login(client, user):
        client.force_login(user)
        if user.role in ("counselor", "admin"):
            from django_otp import DEVICE_ID_SESSION_KEY

            device = confirmed_totp_device(user)
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
        return client

    return login


def confirmed_totp_device(user):
    """The user's confirmed authenticator, created on first use (tests compute codes from its key)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


def current_totp_token(device) -> str:
    """A code the device will accept now: the current step, or the next one if this one was used."""
    import time

    from django_otp.oath import TOTP

    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if totp.t() <= device.last_t:  # already used this step; the tolerance accepts the next one
        totp.time += device.step * (device.last_t - totp.t() + 1)
    return f"{totp.token():0{device.digits}d}"
