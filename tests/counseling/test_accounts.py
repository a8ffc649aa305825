import pytest
from django.urls import reverse

from counseling.models import AuditEntry, ClientProfile, Role, User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

GOOD_SIGNUP = {
    "email": "new.client@example.test",
    "display_name": "Bintang",
    "password1": "kopi-tubruk-di-pagi-hari",
    "password2": "kopi-tubruk-di-pagi-hari",
    "preferred_language": "id",
    "time_zone": "Asia/Makassar",
}


def test_client_can_sign_up_and_is_asked_to_confirm_the_address(client, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("signup"), GOOD_SIGNUP)
    assert response.status_code == 302
    assert response.url == reverse("signup_sent")
    user = User.objects.get(email="new.client@example.test")
    assert user.role == Role.CLIENT
    assert user.password.startswith("argon2")
    assert user.email_verified_at is None
    assert user.client_profile.display_name == "Bintang"
    assert user.client_profile.time_zone == "Asia/Makassar"
    assert response.cookies["django_language"].value == "id"
    assert "_auth_user_id" not in client.session  # signed in only with the password, after the e-mail
    page = client.get(response.url).content.decode()
    assert "new.client@example.test" in page
    assert AuditEntry.objects.filter(action="account.client_signed_up", actor_id=user.pk).exists()
    assert [m.to for m in mailoutbox] == [["new.client@example.test"]]
    assert "/accounts/verify-email/" in mailoutbox[0].body


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"password1": "short", "password2": "short"}, "password1", "This password is too short."),
        ({"password1": "password123", "password2": "password123"}, "password1", "too common"),
        ({"password2": "something-else-entirely"}, "password2", "The two passwords do not match."),
        ({"display_name": "   "}, "display_name", "This field is required."),
    ],
)
def test_sign_up_with_bad_input_is_refused_with_a_clear_message(client, change, field, message):
    response = client.post(reverse("signup"), {**GOOD_SIGNUP, **change})
    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors[field])
    assert message in errors
    assert message in response.content.decode()
    assert not User.objects.exists()
    assert not ClientProfile.objects.exists()


def test_sign_up_with_a_taken_email_answers_alike_and_tells_the_owner(
    client, client_a, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("signup"), {**GOOD_SIGNUP, "email": client_a.email.upper()})
    assert response.status_code == 302
    assert response.url == reverse("signup_sent")
    assert "already exists" not in client.get(response.url).content.decode()
    assert User.objects.count() == 1
    client_a.refresh_from_db()
    assert client_a.check_password(PASSWORD)  # nothing about the account changed
    assert [m.to for m in mailoutbox] == [[client_a.email]]
    assert "tried to create an account" in mailoutbox[0].body or "Seseorang" in mailoutbox[0].body
    assert "/accounts/login/" in mailoutbox[0].body and "/accounts/password-reset/" in mailoutbox[0].body
    assert "/accounts/verify-email/" not in mailoutbox[0].body  # already confirmed


def test_sign_up_cannot_create_a_counselor_or_admin(client):
    client.post(reverse("signup"), {**GOOD_SIGNUP, "role": "admin", "is_staff": "on", "is_superuser": "on"})
    user = User.objects.get(email=GOOD_SIGNUP["email"])
    assert (user.role, user.is_staff, user.is_superuser) == (Role.CLIENT, False, False)


def test_login_and_logout(client, client_a):
    response = client.post(reverse("login"), {"username": client_a.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).url == reverse("client_home")
    assert AuditEntry.objects.filter(action="auth.login", actor_id=client_a.pk).exists()
    client.post(reverse("logout"))
    assert client.get(reverse("client_home")).status_code == 302
    assert AuditEntry.objects.filter(action="auth.logout", actor_id=client_a.pk).exists()


def test_login_is_throttled_after_repeated_failures(client, client_a, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        response = client.post(reverse("login"), {"username": client_a.email, "password": "wrong-password"})
        assert "Please enter a correct" in response.content.decode()
    response = client.post(reverse("login"), {"username": client_a.email, "password": PASSWORD})
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action="auth.login_failed").count() == 3


def test_throttle_also_counts_failures_per_address_across_accounts(client, client_a, client_b, settings):
    settings.LOGIN_FAILURE_ADDRESS_LIMIT = 2
    client.post(reverse("login"), {"username": "nobody1@example.test", "password": "x"})
    client.post(reverse("login"), {"username": "nobody2@example.test", "password": "x"})
    response = client.post(reverse("login"), {"username": client_b.email, "password": PASSWORD})
    assert "Too many failed sign-in attempts" in response.content.decode()


def test_inactive_session_is_logged_out(client, client_a, settings, monkeypatch):
    client.force_login(client_a)
    assert client.get(reverse("client_home")).status_code == 200
    import counseling.middleware as middleware
    from counseling.clock import now as real_now

    later = real_now() + __import__("datetime").timedelta(seconds=settings.INACTIVITY_TIMEOUT_SECONDS + 5)
    monkeypatch.setattr(middleware, "now", lambda: later)
    response = client.get(reverse("client_home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action="auth.logout.inactivity", actor_id=client_a.pk).exists()


def test_activity_within_the_window_keeps_the_session(client, client_a, settings, monkeypatch):
    import datetime

    import counseling.middleware as middleware
    from counseling.clock import now as real_now

    client.force_login(client_a)
    start = real_now()
    for step in range(3):
        moment = start + datetime.timedelta(seconds=(settings.INACTIVITY_TIMEOUT_SECONDS - 60) * step)
        monkeypatch.setattr(middleware, "now", lambda moment=moment: moment)
        assert client.get(reverse("client_home")).status_code == 200


@pytest.mark.parametrize(
    ("persona", "url_name", "expected"),
    [
        ("client_a", "counselor_home", 403),
        ("client_a", "staff_home", 403),
        ("counselor_a", "client_home", 403),
        ("counselor_a", "staff_home", 403),
        ("admin_user", "client_home", 403),
        ("client_a", "client_home", 200),
        ("counselor_a", "counselor_home", 200),
        ("admin_user", "staff_home", 200),
    ],
)
def test_roles_restrict_pages(client, request, staff_login, persona, url_name, expected):
    staff_login(client, request.getfixturevalue(persona))
    response = client.get(reverse(url_name))
    assert response.status_code == expected


def test_anonymous_users_are_sent_to_login(client):
    for name in ("client_home", "counselor_home", "staff_home", "dashboard"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_password_reset_sends_a_link_by_email(client, client_a, mailoutbox):
    client.post(reverse("password_reset"), {"email": client_a.email})
    assert len(mailoutbox) == 1
    assert "/accounts/reset/" in mailoutbox[0].body
