"""A counselor or admin chooses their language once, on their account: their pages, alerts and e-mails follow it,
whatever the browser says. Only the signed-in person changes their own; a client's language stays on their profile."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from counseling.mail import language_of
from counseling.models import AuditEntry, CounselorProfile, User
from counseling.services import account_language_set
from tests.conftest import PASSWORD

PAGE = reverse("account_language")
REFUSED = "Choose English or Bahasa Indonesia."


def language(user) -> str:
    return User.objects.values_list("language", flat=True).get(pk=user.pk)


def changes_of(user):
    return AuditEntry.objects.filter(action="account.language_changed", actor_id=user.pk)


# --- The choice ------------------------------------------------------------------------------------------


def test_a_counselor_chooses_indonesian_on_the_account_page_and_the_change_is_audited(client, staff_login, counselor_a):
    staff_login(client, counselor_a)
    response = client.post(PAGE, {"language": "id"})
    assert response.status_code == 302 and response.url == PAGE
    assert language(counselor_a) == "id"
    [entry] = changes_of(counselor_a)
    assert entry.target_id == str(counselor_a.pk) and entry.detail == {"from": "", "to": "id"}
    # The next page is in the new language, the confirmation included.
    page = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="id">' in page and "Antrean risiko" in page


def test_an_admin_chooses_a_language_too_and_finds_the_page_in_the_navigation(client, staff_login, admin_user):
    staff_login(client, admin_user)
    # The navigation leads to the settings page, which holds the language too (test_account_settings.py).
    assert f'href="{reverse("account_settings")}"' in client.get(reverse("staff_home")).content.decode()
    client.post(PAGE, {"language": "id"})
    client.post(PAGE, {"language": "en"})
    assert language(admin_user) == "en"
    assert [entry.detail for entry in changes_of(admin_user)] == [{"from": "", "to": "id"}, {"from": "id", "to": "en"}]


def test_choosing_the_language_already_chosen_writes_no_second_audit_entry(client, staff_login, counselor_a):
    staff_login(client, counselor_a)
    client.post(PAGE, {"language": "id"})
    client.post(PAGE, {"language": "id"})
    assert changes_of(counselor_a).count() == 1


def test_the_page_changes_only_the_signed_in_persons_own_language(client, staff_login, counselor_a, counselor_b):
    staff_login(client, counselor_a)
    client.post(PAGE, {"language": "id", "user": counselor_b.pk, "email": counselor_b.email, "id": counselor_b.pk})
    assert (language(counselor_a), language(counselor_b)) == ("id", "")
    assert not changes_of(counselor_b).exists()


def test_a_language_the_site_does_not_offer_is_refused_with_a_clear_message(client, staff_login, counselor_a):
    staff_login(client, counselor_a)
    for bad in ("fr", "", "id-x"):
        response = client.post(PAGE, {"language": bad}, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200
        assert REFUSED in response.content.decode()
    assert language(counselor_a) == "" and not changes_of(counselor_a).exists()
    with pytest.raises(ValueError, match=REFUSED):
        account_language_set(user=counselor_a, language="fr")


def test_the_page_sends_a_stranger_to_sign_in_and_refuses_a_client(client, client_a, staff_login, counselor_a):
    response = client.post(PAGE, {"language": "id"})
    assert response.status_code == 302 and reverse("login") in response.url
    client.force_login(client_a)
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, {"language": "en"}).status_code == 403
    client_a.refresh_from_db()
    assert client_a.language == "" and client_a.client_profile.preferred_language == "id"
    with pytest.raises(PermissionDenied):
        account_language_set(user=client_a, language="en")


def test_staff_without_their_second_factor_cannot_change_it(client, counselor_a):
    client.force_login(counselor_a)  # password only
    response = client.post(PAGE, {"language": "id"})
    assert response.status_code == 302 and "/accounts/mfa/" in response.url
    assert language(counselor_a) == ""


# --- The header's switcher ---------------------------------------------------------------------------------


def test_the_switcher_stores_a_signed_in_staff_members_choice(client, staff_login, counselor_a):
    staff_login(client, counselor_a)
    response = client.post(reverse("set_language"), {"language": "id", "next": "/staff/risk/"})
    assert response.status_code == 302 and response.url == "/staff/risk/"
    assert language(counselor_a) == "id"
    assert changes_of(counselor_a).get().detail == {"from": "", "to": "id"}
    # Another browser (no cookie, an English Accept-Language) gets the choice too.
    client.cookies.clear()
    staff_login(client, counselor_a)
    assert "Antrean risiko" in client.get("/staff/risk/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_the_switcher_stores_nothing_for_a_client_a_stranger_or_staff_without_their_second_factor(
    client, client_a, counselor_a
):
    assert client.post(reverse("set_language"), {"language": "en"}).cookies["django_language"].value == "en"
    client.force_login(client_a)
    client.post(reverse("set_language"), {"language": "en"})
    client_a.refresh_from_db()
    assert client_a.language == "" and client_a.client_profile.preferred_language == "id"
    client.force_login(counselor_a)  # password only
    client.post(reverse("set_language"), {"language": "id"})
    assert language(counselor_a) == "" and not AuditEntry.objects.filter(action="account.language_changed").exists()


def test_the_switcher_ignores_a_language_the_site_does_not_offer(client, staff_login, counselor_a):
    staff_login(client, counselor_a)
    client.post(reverse("set_language"), {"language": "fr"})
    assert language(counselor_a) == "" and not changes_of(counselor_a).exists()


# --- Pages in the chosen language ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who, path",
    [("counselor_a", "/staff/risk/"), ("counselor_a", "counselor_home"), ("admin_user", "staff_home")],
)
def test_staff_pages_come_in_the_chosen_language_whatever_the_browser_asks(client, staff_login, request, who, path):
    user = request.getfixturevalue(who)
    User.objects.filter(pk=user.pk).update(language="id")
    staff_login(client, user)
    client.cookies["django_language"] = "en"
    url = path if path.startswith("/") else reverse(path)
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    page = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="id">' in page and "Antrean risiko" in page and "Keluar" in page
    assert response["Content-Language"] == "id"


def test_an_english_choice_wins_over_an_indonesian_browser(client, staff_login, counselor_a):
    User.objects.filter(pk=counselor_a.pk).update(language="en")
    staff_login(client, counselor_a)
    client.cookies["django_language"] = "id"
    page = client.get("/staff/risk/", HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert '<html lang="en">' in page and "Risk queue" in page


def test_staff_who_have_not_chosen_get_what_their_browser_asks_for(client, staff_login, counselor_a):
    staff_login(client, counselor_a)
    assert "Antrean risiko" in client.get("/staff/risk/", HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert "Risk queue" in client.get("/staff/risk/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_signing_in_sets_the_language_cookie_to_the_choice(client, counselor_a):
    User.objects.filter(pk=counselor_a.pk).update(language="id")
    response = client.post(reverse("login"), {"username": counselor_a.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "id"


# --- Who is written to in which language (counseling.mail.language_of) --------------------------------------


def test_the_choice_comes_first_for_staff_and_clients_keep_their_profiles_language(
    counselor_a, admin_user, client_a, client_b
):
    assert language_of(counselor_a) == "id"  # not chosen: the profile's first language (id,en)
    CounselorProfile.objects.filter(user=counselor_a).update(languages="id,en")
    account_language_set(user=counselor_a, language="en")
    assert language_of(User.objects.get(pk=counselor_a.pk)) == "en"
    assert language_of(admin_user) == "en"  # not chosen, no profile: the site's language
    account_language_set(user=admin_user, language="id")
    assert language_of(User.objects.get(pk=admin_user.pk)) == "id"
    assert (language_of(client_a), language_of(client_b)) == ("id", "en")
