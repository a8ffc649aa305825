"""Everyone manages their own account on one page: name, time zone and language; a new password that signs out
the other devices; a new e-mail address that changes only once the link sent there is followed; staff replace
their second factor (never remove it); signing out everywhere. Every change is audited and only the signed-in
person's own account changes."""

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from counseling import notifications
from counseling.consumers import user_sockets_group
from counseling.models import AuditEntry, User
from counseling.services import EMAIL_CHANGE_SALT, account_email_change_link
from sessions.selectors import client_zone, session_times
from tests.conftest import PASSWORD, confirmed_totp_device, current_totp_token
from tests.counseling.test_dashboard import book

SETTINGS = reverse("account_settings")
PASSWORD_URL = reverse("account_password")
EMAIL_URL = reverse("account_email")
SIGN_OUT_ALL = reverse("account_sign_out_everywhere")
REPLACE = reverse("account_second_factor_replace")
NEW_PASSWORD = "kopi-tubruk-pagi-hari-77"


def in_indonesian(text: str) -> str:
    with translation.override("id"):
        return gettext(text)


def audits(action: str, user) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action, actor_id=user.pk))


def signed_in(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def is_signed_in(browser: Client) -> bool:
    response = browser.get(reverse("dashboard"))
    return not (response.status_code == 302 and reverse("login") in response.url)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Post and run what waits for the commit (the e-mails, counseling.mail), as a real request would."""

    def post(browser: Client, url: str, data=None, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return browser.post(url, data or {}, **extra)

    return post


@pytest.fixture
def socket_closes(monkeypatch):
    """The events that would close sockets, per group, recorded instead of sent."""
    sent = []
    monkeypatch.setattr(notifications, "group_send_now", lambda *, group, event: sent.append((group, event)) or True)
    return sent


# --- The page ------------------------------------------------------------------------------------------------


def test_every_signed_in_person_finds_the_settings_page_in_the_navigation(client, client_a, staff_login, counselor_a):
    client.force_login(client_a)
    assert f'href="{SETTINGS}"' in client.get(reverse("client_home")).content.decode()
    page = client.get(SETTINGS).content.decode()
    assert "Name, time zone and language" in page and "Sign out on all devices" in page
    assert "Second factor" not in page  # clients have none to manage
    staff_login(client, counselor_a)
    page = client.get(SETTINGS).content.decode()
    assert "Second factor" in page and 'name="display_name"' not in page


def test_strangers_are_sent_to_sign_in_and_staff_to_their_second_factor_first(client, counselor_a):
    for url in (SETTINGS, PASSWORD_URL, EMAIL_URL, SIGN_OUT_ALL, REPLACE):
        response = client.post(url, {})
        assert response.status_code == 302 and reverse("login") in response.url, url
    client.force_login(counselor_a)  # password only
    for url in (SETTINGS, PASSWORD_URL, EMAIL_URL, SIGN_OUT_ALL, REPLACE):
        response = client.post(url, {"language": "id", "time_zone": "Asia/Makassar"})
        assert response.status_code == 302 and "/accounts/mfa/" in response.url, url
    assert User.objects.get(pk=counselor_a.pk).language == ""
    assert Session.objects.count() == 1


# --- Name, time zone, language ---------------------------------------------------------------------------------


def test_a_client_changes_name_time_zone_and_language_and_the_change_is_audited(client, client_a):
    client.force_login(client_a)
    response = client.post(SETTINGS, {"display_name": " Kenanga ", "time_zone": "Asia/Makassar", "language": "en"})
    assert response.status_code == 302 and response.url == SETTINGS
    assert response.cookies["django_language"].value == "en"
    profile = User.objects.get(pk=client_a.pk).client_profile
    assert (profile.display_name, profile.time_zone, profile.preferred_language) == ("Kenanga", "Asia/Makassar", "en")
    [entry] = audits("account.profile_changed", client_a)
    assert entry.detail == {
        "display_name": "changed",
        "time_zone": {"from": "Asia/Jakarta", "to": "Asia/Makassar"},
        "preferred_language": {"from": "id", "to": "en"},
    }
    assert "Kenanga" not in str(entry.detail)  # the chosen name itself stays out of the permanent log
    assert "Your settings are saved." in client.get(SETTINGS).content.decode()


def test_a_new_time_zone_applies_to_new_bookings_and_booked_sessions_keep_theirs(client, client_a, counselor_a):
    # What the help text under the field says.
    booked = book(client_a, counselor_a, days=3)  # booked in Asia/Jakarta
    client.force_login(client_a)
    assert (
        "sessions already booked keep the time zone" in client.get(SETTINGS, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )
    client.post(SETTINGS, {"display_name": "Client A", "time_zone": "Asia/Jayapura", "language": "id"})
    client_now = User.objects.get(pk=client_a.pk)
    assert client_zone(client_now).key == "Asia/Jayapura"  # the zone of the slots offered for booking
    assert session_times(session=booked, viewer=client_now)["mine_start"].tzinfo.key == "Asia/Jakarta"


def test_saving_without_a_change_writes_no_audit_entry(client, client_a):
    client.force_login(client_a)
    client.post(SETTINGS, {"display_name": "Client A", "time_zone": "Asia/Jakarta", "language": "id"})
    assert audits("account.profile_changed", client_a) == []


def test_a_counselor_changes_time_zone_and_language_but_not_the_name_on_their_licence(client, staff_login, counselor_a):
    staff_login(client, counselor_a)
    client.post(SETTINGS, {"display_name": "Someone Else", "time_zone": "America/Chicago", "language": "id"})
    counselor = User.objects.get(pk=counselor_a.pk)
    assert counselor.language == "id"
    assert (counselor.counselor_profile.time_zone, counselor.counselor_profile.display_name) == (
        "America/Chicago",
        "Counselor A",
    )
    assert [e.detail for e in audits("account.language_changed", counselor_a)] == [{"from": "", "to": "id"}]
    assert audits("account.profile_changed", counselor_a)[0].detail == {
        "time_zone": {"from": "Asia/Jakarta", "to": "America/Chicago"}
    }
    # The old language page still works and points here.
    assert f'href="{SETTINGS}"' in client.get(reverse("account_language")).content.decode()


def test_an_admin_changes_the_language(client, staff_login, admin_user):
    staff_login(client, admin_user)
    assert client.post(SETTINGS, {"language": "id"}).status_code == 302
    assert User.objects.get(pk=admin_user.pk).language == "id"


@pytest.mark.parametrize(
    "data, message",
    [
        ({"display_name": "", "time_zone": "Asia/Jakarta", "language": "id"}, "Please choose a display name."),
        ({"display_name": "   ", "time_zone": "Asia/Jakarta", "language": "id"}, "Please choose a display name."),
        ({"display_name": "x" * 81, "time_zone": "Asia/Jakarta", "language": "id"}, "at most 80 characters"),
        ({"display_name": "Ok", "time_zone": "Mars/Olympus", "language": "id"}, "Choose a time zone from the list."),
        ({"display_name": "Ok", "time_zone": "Asia/Jakarta", "language": "fr"}, "Choose English or Bahasa Indonesia."),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_changes(client, client_a, data, message):
    client.force_login(client_a)
    response = client.post(SETTINGS, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and message in response.content.decode()
    profile = User.objects.get(pk=client_a.pk).client_profile
    assert (profile.display_name, profile.time_zone, profile.preferred_language) == ("Client A", "Asia/Jakarta", "id")
    assert audits("account.profile_changed", client_a) == []


def test_the_page_changes_only_the_signed_in_persons_own_account(client, client_a, client_b):
    client.force_login(client_a)
    client.post(
        SETTINGS,
        {
            "display_name": "Mawar",
            "time_zone": "Asia/Jayapura",
            "language": "en",
            "user": client_b.pk,
            "id": client_b.pk,
        },
    )
    b = User.objects.get(pk=client_b.pk).client_profile
    assert (b.display_name, b.time_zone) == ("Client B", "America/Chicago")
    assert User.objects.get(pk=client_a.pk).client_profile.display_name == "Mawar"


def test_the_page_comes_in_indonesian(client, client_a):
    client.force_login(client_a)
    page = client.get(SETTINGS, HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert '<html lang="id">' in page
    for text in ("Account settings", "Sign out on all devices", "Change password", "Send the link"):
        assert in_indonesian(text) in page


# --- Password --------------------------------------------------------------------------------------------------


def test_a_new_password_keeps_this_browser_signed_in_and_signs_out_every_other(
    client_a, client_b, mailoutbox, socket_closes, django_capture_on_commit_callbacks
):
    here, phone, b_browser = signed_in(client_a), signed_in(client_a), signed_in(client_b)
    with django_capture_on_commit_callbacks(execute=True):
        response = here.post(
            PASSWORD_URL,
            {"current_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        )
    assert response.status_code == 302 and response.url == SETTINGS
    assert User.objects.get(pk=client_a.pk).check_password(NEW_PASSWORD)
    assert is_signed_in(here) and not is_signed_in(phone) and is_signed_in(b_browser)
    assert Session.objects.count() == 2  # this browser and client B's
    assert "1 other device was signed out." in here.get(SETTINGS).content.decode()
    [entry] = audits("account.password_changed", client_a)
    assert entry.detail == {"other_sessions_ended": 1}
    # Every open socket of the person closes (counseling.receivers), none of client B's.
    assert (user_sockets_group(client_a.pk), "password_changed") in [(g, e["reason"]) for g, e in socket_closes]
    assert all(group != user_sockets_group(client_b.pk) for group, _event in socket_closes)
    [notice] = mailoutbox
    assert notice.to == [client_a.email] and "/accounts/password-reset/" in notice.body


@pytest.mark.parametrize(
    "data, message",
    [
        ({"current_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, "not correct"),
        ({"current_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": "other-x"}, "do not match"),
        ({"current_password": PASSWORD, "new_password1": "short", "new_password2": "short"}, "too short"),
        ({"current_password": PASSWORD, "new_password1": "password123", "new_password2": "password123"}, "too common"),
        ({"current_password": "", "new_password1": "", "new_password2": ""}, "Type your current password."),
    ],
)
def test_a_password_change_is_refused_with_a_clear_message(client_a, data, message):
    here, phone = signed_in(client_a), signed_in(client_a)
    response = here.post(PASSWORD_URL, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and message in response.content.decode()
    assert User.objects.get(pk=client_a.pk).check_password(PASSWORD)
    assert is_signed_in(phone) and audits("account.password_changed", client_a) == []


def test_a_wrong_current_password_is_audited(client_a):
    signed_in(client_a).post(
        PASSWORD_URL, {"current_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert len(audits("account.password_change_refused", client_a)) == 1


# --- Sign out everywhere --------------------------------------------------------------------------------------


def test_signing_out_everywhere_ends_every_session_of_the_person_and_closes_their_sockets(
    client_a, client_b, socket_closes, django_capture_on_commit_callbacks
):
    here, phone, b_browser = signed_in(client_a), signed_in(client_a), signed_in(client_b)
    with django_capture_on_commit_callbacks(execute=True):
        response = here.post(SIGN_OUT_ALL, {"unsent_discarded": "0"})
    assert response.status_code == 302 and response.url == reverse("home")
    assert not is_signed_in(here) and not is_signed_in(phone) and is_signed_in(b_browser)
    assert Session.objects.count() == 1
    assert "You are signed out on every device." in here.get(reverse("home")).content.decode()
    assert len(audits("account.signed_out_everywhere", client_a)) == 1
    # One event for every socket of the person (no session filter), none for client B.
    everywhere = [e for g, e in socket_closes if g == user_sockets_group(client_a.pk) and not e["session"]]
    assert [e["reason"] for e in everywhere] == ["signed_out_everywhere"]
    assert all(group != user_sockets_group(client_b.pk) for group, _event in socket_closes)


def test_signing_out_everywhere_needs_a_post(client_a):
    browser = signed_in(client_a)
    assert browser.get(SIGN_OUT_ALL).status_code == 405
    assert is_signed_in(browser)


# --- E-mail address -------------------------------------------------------------------------------------------


def _link(mail) -> str:
    return re.search(r"http://\S+/accounts/settings/email/confirm/\S+/", mail.body).group(0).split("http://", 1)[1]


def _path(link: str) -> str:
    return "/" + link.split("/", 1)[1]


OLD_CONFIRMATION = datetime(2026, 1, 5, tzinfo=UTC)


def test_a_new_address_changes_only_once_the_link_sent_there_is_followed(
    committed, client, client_a, mailoutbox, settings
):
    settings.SITE_URL = "http://testserver"
    User.objects.filter(pk=client_a.pk).update(email_verified_at=OLD_CONFIRMATION)
    client.force_login(client_a)
    response = committed(client, EMAIL_URL, {"new_email": "New.Ayu@Example.test", "email_password": PASSWORD})
    assert response.status_code == 302
    assert "We sent a link to new.ayu@example.test" in client.get(SETTINGS).content.decode()
    assert User.objects.get(pk=client_a.pk).email == "a@clients.test"  # nothing changed yet
    link_mail, old_notice = mailoutbox
    assert link_mail.to == ["new.ayu@example.test"]
    assert old_notice.to == ["a@clients.test"] and "/accounts/settings/email/confirm/" not in old_notice.body
    # Client A's language is Indonesian: both e-mails are written in it.
    assert in_indonesian("Confirm your new e-mail address") in link_mail.subject
    assert in_indonesian("A change of your e-mail address was requested") in old_notice.subject
    [requested] = audits("account.email_change_requested", client_a)
    assert "new.ayu@example.test" not in str(requested.detail)  # a digest only

    path = _path(_link(link_mail))
    page = client.get(path)  # opening it (a mail scanner does too) changes nothing
    assert page.status_code == 200 and "new.ayu@example.test" in page.content.decode()
    assert User.objects.get(pk=client_a.pk).email == "a@clients.test"
    response = committed(client, path)
    assert response.status_code == 302 and response.url == SETTINGS
    changed_user = User.objects.get(pk=client_a.pk)
    assert changed_user.email == "new.ayu@example.test"
    # Confirmed from the new mailbox (booking asks it): confirmed now, not when the old address was.
    assert changed_user.email_verified_at > OLD_CONFIRMATION
    [changed] = audits("account.email_changed", client_a)
    assert set(changed.detail) == {"from_sha256", "to_sha256"}
    told = mailoutbox[-1]
    assert told.to == ["a@clients.test"] and in_indonesian("Your e-mail address was changed") in told.subject
    # The link works once.
    again = client.post(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "This link was already used" in again
    assert len(audits("account.email_changed", client_a)) == 1


def test_an_expired_link_is_refused(committed, client, client_a, mailoutbox, monkeypatch, settings):
    client.force_login(client_a)
    committed(client, EMAIL_URL, {"new_email": "later@example.test", "email_password": PASSWORD})
    path = _path(_link(mailoutbox[0]))
    real = time.time
    monkeypatch.setattr(signing.time, "time", lambda: real() + settings.EMAIL_CHANGE_LINK_HOURS * 3600 + 5)
    page = client.post(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "This link has expired. Ask for a new one on your settings page." in page
    assert User.objects.get(pk=client_a.pk).email == "a@clients.test"


def test_a_link_works_only_for_the_account_that_asked_and_only_untouched(
    committed, client, client_a, client_b, mailoutbox
):
    committed(signed_in(client_a), EMAIL_URL, {"new_email": "mine@example.test", "email_password": PASSWORD})
    path = _path(_link(mailoutbox[0]))
    client.force_login(client_b)
    page = client.post(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "This link is for another account." in page
    assert User.objects.get(pk=client_b.pk).email == "b@clients.test"
    tampered = path.replace("/confirm/", "/confirm/x")
    assert "This link is not valid." in client.post(tampered, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    forged = signing.dumps({"u": client_b.pk, "to": "forged@example.test", "from": "x"}, salt="another-purpose")
    with pytest.raises(ValueError, match="not valid"):
        account_email_change_link(user=client_b, token=forged)
    assert User.objects.filter(email__in=["mine@example.test", "forged@example.test"]).count() == 0


def test_an_address_with_an_account_gets_a_notice_and_the_form_does_not_tell(
    committed, client, client_a, client_b, mailoutbox
):
    client.force_login(client_a)
    response = committed(client, EMAIL_URL, {"new_email": "B@clients.test", "email_password": PASSWORD})
    assert response.status_code == 302
    assert "We sent a link to b@clients.test" in client.get(SETTINGS, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    to_b, to_a = mailoutbox
    assert to_b.to == ["b@clients.test"] and "/confirm/" not in to_b.body
    assert in_indonesian("This address already has an account") in to_b.subject  # client A's language
    assert to_a.to == ["a@clients.test"]
    assert User.objects.get(pk=client_a.pk).email == "a@clients.test"
    assert audits("account.email_change_requested", client_a)[0].detail["address_taken"] is True


def test_an_address_taken_after_the_link_was_sent_is_refused(committed, client, client_a, mailoutbox):
    client.force_login(client_a)
    committed(client, EMAIL_URL, {"new_email": "race@example.test", "email_password": PASSWORD})
    path = _path(_link(mailoutbox[0]))
    User.objects.create_user(email="race@example.test", password=PASSWORD)
    page = client.post(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Another account uses this address now" in page
    assert User.objects.get(pk=client_a.pk).email == "a@clients.test"


@pytest.mark.parametrize(
    "data, message",
    [
        ({"new_email": "new@example.test", "email_password": "wrong"}, "Your current password is not correct."),
        ({"new_email": "a@clients.test", "email_password": PASSWORD}, "This is already your e-mail address."),
        ({"new_email": "not-an-address", "email_password": PASSWORD}, "Enter a valid e-mail address."),
        ({"new_email": "", "email_password": PASSWORD}, "Type the new address."),
    ],
)
def test_a_bad_address_request_is_refused_with_a_clear_message_and_nothing_is_sent(
    committed, client, client_a, mailoutbox, data, message
):
    client.force_login(client_a)
    response = committed(client, EMAIL_URL, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and message in response.content.decode()
    assert mailoutbox == [] and audits("account.email_change_requested", client_a) == []


def test_the_link_needs_the_person_signed_in(committed, client, client_a, mailoutbox):
    committed(signed_in(client_a), EMAIL_URL, {"new_email": "mine@example.test", "email_password": PASSWORD})
    path = _path(_link(mailoutbox[0]))
    response = client.post(path)
    assert response.status_code == 302 and reverse("login") in response.url
    assert User.objects.get(pk=client_a.pk).email == "a@clients.test"


def test_the_link_carries_no_address_but_the_new_one(committed, client_a, mailoutbox):
    committed(signed_in(client_a), EMAIL_URL, {"new_email": "mine@example.test", "email_password": PASSWORD})
    token = _link(mailoutbox[0]).rstrip("/").rsplit("/", 1)[1]
    data = signing.loads(token, salt=EMAIL_CHANGE_SALT)
    assert data["to"] == "mine@example.test" and "a@clients.test" not in str(data)


# --- Second factor ---------------------------------------------------------------------------------------------


def test_staff_see_their_authenticator_and_recovery_codes(client, staff_login, counselor_a):
    staff_login(client, counselor_a)
    page = client.get(SETTINGS, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Authenticator app: set up on" in page and "0 unused recovery codes" in page
    assert "cannot be removed, only replaced" in page


def test_the_set_up_page_does_not_swap_a_verified_authenticator_without_a_code_typed_now(
    client, staff_login, counselor_a
):
    staff_login(client, counselor_a)
    response = client.get(reverse("mfa:setup"))
    assert response.status_code == 302 and response.url.startswith(SETTINGS)
    assert TOTPDevice.objects.filter(user=counselor_a).count() == 1


def test_replacing_the_authenticator_keeps_the_old_one_until_the_new_one_is_confirmed(client, staff_login, counselor_a):
    staff_login(client, counselor_a)
    old = confirmed_totp_device(counselor_a)
    refused = client.post(REPLACE, {"token": "000000"}, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 200 and "That code did not match." in refused.content.decode()
    assert client.get(reverse("mfa:setup")).status_code == 302  # not opened
    old.refresh_from_db()
    old.throttle_reset()  # the wait after a failure has passed

    response = client.post(REPLACE, {"token": current_totp_token(old)})
    assert response.status_code == 302 and response.url.startswith(reverse("mfa:setup"))
    assert client.get(reverse("mfa:setup")).status_code == 200
    new = TOTPDevice.objects.get(user=counselor_a, confirmed=False)
    # Not confirmed yet: the old one is still the factor (never none).
    assert list(TOTPDevice.objects.filter(user=counselor_a, confirmed=True)) == [old]
    page = client.post(reverse("mfa:setup"), {"token": current_totp_token(new), "next": SETTINGS})
    assert page.status_code == 200 and len(page.context["codes"]) == 10
    assert list(TOTPDevice.objects.filter(user=counselor_a)) == [new]
    assert TOTPDevice.objects.get(pk=new.pk).confirmed
    assert len(audits("mfa.replace_started", counselor_a)) == 1
    assert audits("mfa.device_confirmed", counselor_a)[-1].detail == {"replaced": 1}
    # The window closes with the confirmation.
    assert client.get(reverse("mfa:setup")).status_code == 302


def test_a_recovery_code_starts_a_replacement_too(client, staff_login, counselor_a):
    staff_login(client, counselor_a)
    StaticToken.objects.create(
        device=counselor_a.staticdevice_set.create(name="recovery codes", confirmed=True), token="abcd1234"
    )
    response = client.post(REPLACE, {"token": "abcd1234"})
    assert response.status_code == 302 and response.url.startswith(reverse("mfa:setup"))


def test_the_replacement_window_closes_after_ten_minutes(client, staff_login, counselor_a, monkeypatch):
    staff_login(client, counselor_a)
    client.post(REPLACE, {"token": current_totp_token(confirmed_totp_device(counselor_a))})
    from counseling import mfa

    later = mfa.now() + timedelta(seconds=mfa.REPLACE_WINDOW_SECONDS + 1)
    monkeypatch.setattr(mfa, "now", lambda: later)
    assert client.get(reverse("mfa:setup")).status_code == 302


def test_clients_have_no_second_factor_to_replace(client, client_a):
    client.force_login(client_a)
    assert client.post(REPLACE, {"token": "123456"}).status_code == 403
