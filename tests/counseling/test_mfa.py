"""Counselors and admins pass a second factor (TOTP, or a recovery code) before any client data."""

import pytest
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from counseling.models import AuditEntry
from tests.conftest import confirmed_totp_device, current_totp_token

pytestmark = pytest.mark.django_db

STAFF_PAGES = [("counselor_a", "counselor_home"), ("admin_user", "staff_home")]


@pytest.mark.parametrize(("persona", "url_name"), STAFF_PAGES)
def test_staff_without_a_device_are_sent_to_set_one_up_before_any_client_data(client, request, persona, url_name):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("mfa:setup"))


@pytest.mark.parametrize(("persona", "url_name"), STAFF_PAGES)
def test_staff_with_a_device_but_not_verified_are_sent_to_the_code_step(client, request, persona, url_name):
    user = request.getfixturevalue(persona)
    confirmed_totp_device(user)
    client.force_login(user)
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("mfa:verify"))
    assert f"next=%2F{url_name.split('_')[0]}" in response.url


def test_setting_up_an_authenticator_verifies_the_session_and_shows_recovery_codes(client, counselor_a):
    client.force_login(counselor_a)
    page = client.get(reverse("mfa:setup") + "?next=/counselor/")
    assert page.status_code == 200
    assert b"data:image/svg+xml" in page.content
    device = TOTPDevice.objects.get(user=counselor_a, confirmed=False)
    response = client.post(reverse("mfa:setup"), {"token": current_totp_token(device), "next": "/counselor/"})
    assert response.status_code == 200
    codes = response.context["codes"]
    assert len(codes) == 10
    assert StaticToken.objects.filter(device__user=counselor_a).count() == 10
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("counselor_home")).status_code == 200
    assert AuditEntry.objects.filter(action="mfa.device_confirmed", actor_id=counselor_a.pk).exists()


def test_a_wrong_setup_code_confirms_nothing(client, counselor_a):
    client.force_login(counselor_a)
    client.get(reverse("mfa:setup"))
    response = client.post(reverse("mfa:setup"), {"token": "000000"})
    assert b"did not match" in response.content
    assert not TOTPDevice.objects.filter(user=counselor_a, confirmed=True).exists()
    assert client.get(reverse("counselor_home")).status_code == 302


def test_someone_with_a_device_cannot_swap_it_without_passing_it_first(client, counselor_a):
    confirmed_totp_device(counselor_a)
    client.force_login(counselor_a)
    response = client.get(reverse("mfa:setup"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("mfa:verify"))
    assert not TOTPDevice.objects.filter(user=counselor_a, confirmed=False).exists()


def test_the_code_step_accepts_the_current_code_and_returns_to_the_page(client, admin_user):
    device = confirmed_totp_device(admin_user)
    client.force_login(admin_user)
    response = client.post(reverse("mfa:verify"), {"token": current_totp_token(device), "next": "/staff/"})
    assert response.status_code == 302
    assert response.url == "/staff/"
    assert client.get(reverse("staff_home")).status_code == 200
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id


def test_a_wrong_code_is_refused_logged_and_throttled(client, counselor_a):
    device = confirmed_totp_device(counselor_a)
    client.force_login(counselor_a)
    for _ in range(3):
        response = client.post(reverse("mfa:verify"), {"token": "123456"})
        assert b"did not match" in response.content
    device.refresh_from_db()
    assert device.throttling_failure_count >= 1  # attempts during the wait do not even count
    assert AuditEntry.objects.filter(action="mfa.verify_failed", actor_id=counselor_a.pk).count() == 3
    # Throttled now: even the right code is refused until the wait has passed.
    response = client.post(reverse("mfa:verify"), {"token": current_totp_token(device)})
    assert response.status_code == 200
    assert client.get(reverse("counselor_home")).status_code == 302


def test_a_recovery_code_works_once(client, counselor_a):
    from counseling.mfa import recovery_codes_issue

    confirmed_totp_device(counselor_a)
    codes = recovery_codes_issue(user=counselor_a)
    client.force_login(counselor_a)
    assert client.post(reverse("mfa:verify"), {"token": codes[0]}).status_code == 302
    assert client.get(reverse("counselor_home")).status_code == 200
    client.logout()
    client.force_login(counselor_a)
    client.post(reverse("mfa:verify"), {"token": codes[0]})
    assert client.get(reverse("counselor_home")).status_code == 302


def test_the_django_admin_requires_the_second_factor(client, admin_user, staff_login):
    client.force_login(admin_user)
    response = client.get("/admin/counseling/auditentry/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("mfa:setup"))
    # The admin's own login page sends a signed-in admin to the second factor too.
    assert client.get("/admin/login/").url.startswith(reverse("mfa:setup"))
    staff_login(client, admin_user)
    assert client.get("/admin/counseling/auditentry/").status_code == 200


def test_the_django_admin_sends_anonymous_visitors_to_the_site_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert client.get(response.url).url.startswith(reverse("login"))


def test_clients_have_no_second_factor_pages(client, client_a):
    client.force_login(client_a)
    assert client.get(reverse("mfa:setup")).status_code == 403
    assert client.get(reverse("mfa:verify")).status_code == 403
    assert client.get(reverse("mfa:recovery_codes")).status_code == 403


def test_anonymous_visitors_are_sent_to_login_from_second_factor_pages(client):
    for name in ("mfa:setup", "mfa:verify", "mfa:recovery_codes"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_renewing_recovery_codes_needs_a_verified_session_and_replaces_the_old_ones(client, counselor_a, staff_login):
    from counseling.mfa import recovery_codes_issue

    old = recovery_codes_issue(user=counselor_a)
    client.force_login(counselor_a)
    confirmed_totp_device(counselor_a)
    assert client.post(reverse("mfa:recovery_codes_renew")).status_code == 302
    staff_login(client, counselor_a)
    response = client.post(reverse("mfa:recovery_codes_renew"))
    new = response.context["codes"]
    assert set(new).isdisjoint(old)
    assert not StaticToken.objects.filter(token__in=old).exists()


def test_a_websocket_session_check_follows_the_same_rule(counselor_a, client_a):
    from counseling.mfa import session_is_verified

    device = confirmed_totp_device(counselor_a)
    assert not session_is_verified(user=counselor_a, session={})
    assert session_is_verified(user=counselor_a, session={DEVICE_ID_SESSION_KEY: device.persistent_id})
    assert session_is_verified(user=client_a, session={})


def _all_paths(session_id: int) -> list[str]:
    """Every routed path of the site, with each integer parameter set to a real session id."""
    import re

    from django.urls import URLPattern, URLResolver, get_resolver

    paths = []

    def walk(patterns, prefix=""):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern):
                if route.startswith(("^", "admin/", "static/")) or "<" in re.sub(r"<int:\w+>", "", route):
                    continue
                paths.append("/" + re.sub(r"<int:\w+>", str(session_id), route))

    walk(get_resolver().url_patterns)
    return paths


@pytest.mark.parametrize("persona", ["counselor_a", "admin_user"])
def test_no_page_shows_client_data_to_staff_without_a_verified_second_factor(
    client, request, persona, client_a, counselor_a
):
    from datetime import timedelta

    from counseling.clock import now
    from sessions.models import CounselingSession
    from tests.counseling.test_intake import complete_intake

    complete_intake(client_a)
    session = CounselingSession.objects.create(
        client=client_a,
        counselor=counselor_a,
        starts_at=now() + timedelta(days=1),
        ends_at=now() + timedelta(days=1, hours=1),
    )
    user = request.getfixturevalue(persona)
    confirmed_totp_device(user)
    client.force_login(user)
    client.raise_request_exception = False
    paths = _all_paths(session.pk)
    assert len(paths) > 20
    for path in paths:
        response = client.get(path)
        body = response.content.decode(errors="replace") if response.status_code == 200 else ""
        assert "Client A" not in body and "Ayu Lestari" not in body, path
