"""E-mail verification at sign-up, for everyone, before booking (issue 20, item 3)."""

import re
from datetime import timedelta

import pytest
from django.core import signing
from django.urls import reverse

from counseling.clock import now
from counseling.email_verification import (
    SALT,
    TokenInvalid,
    email_verification_path,
    email_verification_user,
    email_verified_gate,
)
from counseling.models import AuditEntry, User
from sessions.selectors import booking_gate

pytestmark = pytest.mark.django_db

SIGNUP = {
    "email": "fresh@example.test",
    "display_name": "Fresh",
    "password1": "kopi-tubruk-di-pagi-hari",
    "password2": "kopi-tubruk-di-pagi-hari",
    "preferred_language": "en",
    "time_zone": "Asia/Jakarta",
}


def sign_up(client, capture) -> User:
    with capture(execute=True):
        client.post(reverse("signup"), SIGNUP)
    return User.objects.get(email=SIGNUP["email"])


def link_path(mail) -> str:
    return re.search(r"https?://[^/\s]+(/accounts/verify-email/[^\s]+/)", mail.body).group(1)


def test_the_link_in_the_email_confirms_the_address_after_a_click(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    user = sign_up(client, django_capture_on_commit_callbacks)
    path = link_path(mailoutbox[0])
    page = client.get(path)
    assert page.status_code == 200
    assert "Confirm my e-mail address" in page.content.decode()
    user.refresh_from_db()
    assert user.email_verified_at is None  # opening the link (a mail scanner does) confirms nothing

    response = client.post(path)
    assert response.status_code == 302 and response.url == reverse("login")
    user.refresh_from_db()
    assert user.email_verified_at is not None
    assert "_auth_user_id" not in client.session  # the link never signs anyone in
    assert AuditEntry.objects.filter(action="account.email_verified", actor_id=user.pk).count() == 1
    client.post(path)  # a second click changes nothing
    assert AuditEntry.objects.filter(action="account.email_verified", actor_id=user.pk).count() == 1


def test_an_expired_link_is_refused_with_a_way_to_get_a_new_one(client, client_a, settings):
    client_a.email_verified_at = None
    client_a.save(update_fields=["email_verified_at"])
    path = email_verification_path(user=client_a)
    settings.EMAIL_VERIFICATION_MAX_AGE_SECONDS = -1
    response = client.post(path)
    assert response.status_code == 410
    assert "This link has expired." in response.content.decode()
    assert reverse("email_verify_pending") in response.content.decode()
    client_a.refresh_from_db()
    assert client_a.email_verified_at is None


@pytest.mark.parametrize("token", ["garbage", "eyJ1IjoxfQ:1tXYZ:forged"])
def test_a_forged_link_is_refused(client, client_a, token):
    client_a.email_verified_at = None
    client_a.save(update_fields=["email_verified_at"])
    response = client.post(reverse("email_verify", args=[token]))
    assert response.status_code == 404
    assert "This link is not valid" in response.content.decode()
    client_a.refresh_from_db()
    assert client_a.email_verified_at is None


def test_a_link_sent_to_an_old_address_stops_working_when_the_address_changes(client_a):
    token = email_verification_path(user=client_a).rstrip("/").rsplit("/", 1)[1]
    client_a.email = "new.address@clients.test"
    client_a.save(update_fields=["email"])
    with pytest.raises(TokenInvalid) as refused:
        email_verification_user(token=token)
    assert refused.value.code == "invalid"


def test_a_token_of_another_purpose_is_not_a_verification_link(client_a):
    other = signing.dumps({"u": client_a.pk, "e": "x"}, salt="something-else")
    with pytest.raises(TokenInvalid):
        email_verification_user(token=other)
    assert SALT != "something-else"


def test_an_unverified_client_cannot_book_and_is_told_how_to_fix_it(client, client_a, counselor_a):
    client_a.email_verified_at = None
    client_a.save(update_fields=["email_verified_at"])
    result = booking_gate(client=client_a, counselor=counselor_a, starts_at=now() + timedelta(days=2))
    assert not result and result.reason == "email_unverified"
    assert result.action_url == reverse("email_verify_pending")

    client.force_login(client_a)
    for url in (reverse("sessions:booking_counselors"), reverse("sessions:booking_slots", args=[counselor_a.pk])):
        page = client.get(url).content.decode()
        assert "Please confirm your e-mail address first" in page
        assert f'href="{reverse("email_verify_pending")}"' in page
        assert "Resend the e-mail" in page


def test_a_verified_client_passes_the_email_gate(client_a):
    assert email_verified_gate(user=client_a)
    assert client_a.email_verified  # the factories make verified people, as the migration marked everyone


def test_the_resend_page_sends_the_link_again_and_then_waits(
    client, client_a, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.ACCOUNT_EMAIL_LIMIT = 2
    client_a.email_verified_at = None
    client_a.save(update_fields=["email_verified_at"])
    client.force_login(client_a)
    page = client.get(reverse("email_verify_pending")).content.decode()
    assert client_a.email in page
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("email_verify_pending"), follow=True)
        assert "We sent the link again" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("email_verify_pending"), follow=True)
    assert "Please wait a while" in response.content.decode()
    assert len(mailoutbox) == 2
    assert all("/accounts/verify-email/" in mail.body for mail in mailoutbox)


def test_the_resend_page_needs_a_sign_in_and_sends_a_verified_person_on(client, client_a):
    assert client.get(reverse("email_verify_pending")).url.startswith(reverse("login"))
    client.force_login(client_a)
    assert client.get(reverse("email_verify_pending")).url == reverse("dashboard")


def test_existing_accounts_count_as_verified_after_the_migration(client_a):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("counseling.migrations.0011_email_verified_and_counselor_profile")
    User.objects.filter(pk=client_a.pk).update(email_verified_at=None)
    migration.mark_existing_verified(apps, None)
    client_a.refresh_from_db()
    assert client_a.email_verified_at is not None
