"""Throttled sign-up and password reset; sign-up never says an address has an account (issue 20, item 8)."""

import pytest
from django.urls import reverse

from counseling.models import User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

SIGNUP = {
    "display_name": "Someone",
    "password1": "kopi-tubruk-di-pagi-hari",
    "password2": "kopi-tubruk-di-pagi-hari",
    "preferred_language": "en",
    "time_zone": "Asia/Jakarta",
}


def test_taken_and_free_addresses_get_the_same_answer(client, client_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        taken = client.post(reverse("signup"), {**SIGNUP, "email": client_a.email})
        free = client.post(reverse("signup"), {**SIGNUP, "email": "free@example.test"})
    assert (taken.status_code, taken.url) == (free.status_code, free.url) == (302, reverse("signup_sent"))


def test_a_counselor_application_with_a_taken_address_creates_nothing(
    client, client_a, mailoutbox, django_capture_on_commit_callbacks
):
    data = {
        **{k: v for k, v in SIGNUP.items() if k not in ("preferred_language",)},
        "email": client_a.email,
        "professional_title": "Psikolog",
        "practice_location": "Bandung",
        "practice_country": "ID",
        "language": "en",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("counselor_signup"), data)
    assert response.url == reverse("signup_sent")
    client_a.refresh_from_db()
    assert client_a.role == "client" and not hasattr(client_a, "counselor_profile")
    assert [m.to for m in mailoutbox] == [[client_a.email]]


def test_sign_up_is_throttled_per_real_client_address(client, settings, django_capture_on_commit_callbacks):
    settings.SIGNUP_ADDRESS_LIMIT = 2
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(2):
            response = client.post(reverse("signup"), {**SIGNUP, "email": f"n{i}@example.test"})
            assert response.status_code == 302
        refused = client.post(reverse("signup"), {**SIGNUP, "email": "n2@example.test"})
    assert refused.status_code == 429
    assert "Too many sign-ups from your network" in refused.content.decode()
    assert not User.objects.filter(email="n2@example.test").exists()
    # Another address is not held back by this one's attempts.
    other = client.post(reverse("signup"), {**SIGNUP, "email": "n3@example.test"}, REMOTE_ADDR="203.0.113.9")
    assert other.status_code == 302


def test_sign_up_throttle_believes_x_forwarded_for_only_from_trusted_proxies(client, settings):
    settings.SIGNUP_ADDRESS_LIMIT = 1
    # Untrusted: a spoofed header does not give a fresh address.
    client.post(reverse("signup"), {**SIGNUP, "email": "s0@example.test"}, HTTP_X_FORWARDED_FOR="198.51.100.1")
    spoofed = client.post(
        reverse("signup"), {**SIGNUP, "email": "s1@example.test"}, HTTP_X_FORWARDED_FOR="198.51.100.2"
    )
    assert spoofed.status_code == 429
    # Behind our proxy, each client behind it counts on its own.
    settings.TRUSTED_PROXIES = ["127.0.0.1/32"]
    for i, address in enumerate(("198.51.100.3", "198.51.100.4")):
        response = client.post(
            reverse("signup"), {**SIGNUP, "email": f"p{i}@example.test"}, HTTP_X_FORWARDED_FOR=address
        )
        assert response.status_code == 302


def test_the_owner_of_a_taken_address_is_not_flooded(
    client, client_a, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.ACCOUNT_EMAIL_LIMIT = 2
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(4):
            client.post(reverse("signup"), {**SIGNUP, "email": client_a.email})
    assert len(mailoutbox) == 2


def test_password_reset_is_throttled_per_real_client_address(client, client_a, mailoutbox, settings):
    settings.PASSWORD_RESET_ADDRESS_LIMIT = 2
    for _ in range(2):
        assert client.post(reverse("password_reset"), {"email": "nobody@example.test"}).status_code == 302
    refused = client.post(reverse("password_reset"), {"email": client_a.email})
    assert refused.status_code == 429
    assert "Too many reset requests from your network" in refused.content.decode()
    assert mailoutbox == []
    assert (
        client.post(reverse("password_reset"), {"email": client_a.email}, REMOTE_ADDR="203.0.113.7").status_code == 302
    )
    assert len(mailoutbox) == 1


def test_password_reset_writes_to_one_account_a_bounded_number_of_times(client, client_a, mailoutbox, settings):
    settings.ACCOUNT_EMAIL_LIMIT = 2
    for i in range(4):
        response = client.post(reverse("password_reset"), {"email": client_a.email}, REMOTE_ADDR=f"203.0.113.{i + 1}")
        assert response.url == reverse("password_reset_done")  # the same answer every time
    assert len(mailoutbox) == 2


def test_a_successful_sign_in_still_works_after_sign_ups_from_the_same_address(client, client_a, settings):
    settings.SIGNUP_ADDRESS_LIMIT = 1
    client.post(reverse("signup"), {**SIGNUP, "email": "x@example.test"})
    client.post(reverse("signup"), {**SIGNUP, "email": "y@example.test"})
    response = client.post(reverse("login"), {"username": client_a.email, "password": PASSWORD})
    assert response.status_code == 302
