"""Every consent endpoint, for the outsider: anonymous, the wrong role, another client."""

import pytest

from consent.selectors import consent_version_in_force
from tests.conftest import PASSWORD
from tests.consent.conftest import accept_current

pytestmark = pytest.mark.django_db

CLIENT_PAGES = ["/consent/", "/consent/mine/", "/consent/withdraw/"]
ADMIN_PAGES = [
    "/consent/manage/",
    "/consent/manage/versions/{version}/",
    "/consent/manage/versions/{version}/acceptances/",
    "/consent/manage/export/?email=a@clients.test",
]


def _admin_urls():
    version = consent_version_in_force(language="id").pk
    return [url.format(version=version) for url in ADMIN_PAGES]


def test_anonymous_visitors_are_sent_to_sign_in_from_every_consent_page(client, client_a):
    acceptance = accept_current(client_a)
    for url in [*CLIENT_PAGES, f"/consent/mine/{acceptance.pk}/", *_admin_urls()]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url
    response = client.post("/consent/withdraw/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    response = client.post("/consent/manage/drafts/", {"language": "en"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_counselors_and_admins_cannot_open_the_client_consent_pages(client, counselor_a, admin_user, staff_login):
    for user in (counselor_a, admin_user):
        staff_login(client, user)
        for url in CLIENT_PAGES:
            assert client.get(url).status_code == 403, (user, url)
        assert client.post("/consent/withdraw/").status_code == 403
        client.logout()


def test_clients_and_counselors_cannot_open_the_admin_consent_pages(client, client_a, counselor_a, staff_login):
    client.login(email=client_a.email, password=PASSWORD)
    for url in _admin_urls():
        assert client.get(url).status_code == 403, url
    assert client.post("/consent/manage/drafts/", {"language": "en"}).status_code == 403
    client.logout()
    staff_login(client, counselor_a)
    for url in _admin_urls():
        assert client.get(url).status_code == 403, url
    version = consent_version_in_force(language="id").pk
    assert client.post(f"/consent/manage/versions/{version}/", {"save": "1"}).status_code == 403


def test_a_client_cannot_read_another_clients_acceptance(client, client_a, client_b):
    theirs = accept_current(client_b, language="en")
    client.login(email=client_a.email, password=PASSWORD)
    response = client.get(f"/consent/mine/{theirs.pk}/")
    assert response.status_code == 404
    assert theirs.text_sha256 not in client.get("/consent/mine/").content.decode()


def test_a_client_withdrawing_does_not_touch_another_clients_consent(client, client_a, client_b):
    from consent.selectors import consent_gate

    accept_current(client_b, language="en")
    client.login(email=client_a.email, password=PASSWORD)
    client.post("/consent/withdraw/")
    assert consent_gate(client=client_b)


def test_the_transparency_page_is_public(client):
    assert client.get("/consent/transparency/").status_code == 200
