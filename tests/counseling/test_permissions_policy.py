"""Permissions-Policy per response (issue 18): camera and microphone are off on every page, and on, for our own
origin only, on the pages of views decorated with counseling.middleware.allows_camera_and_microphone (the call
page). The CSP is the same strict one everywhere."""

import pytest

from counseling.middleware import CONTENT_SECURITY_POLICY, PERMISSIONS_POLICY

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.counseling.permissions_policy_urls")]


def _policy(response) -> dict[str, str]:
    return dict(item.strip().split("=", 1) for item in response.headers["Permissions-Policy"].split(","))


def test_an_ordinary_page_forbids_camera_and_microphone(client):
    response = client.get("/ordinary/")
    assert response.status_code == 200
    policy = _policy(response)
    assert policy["camera"] == "()" and policy["microphone"] == "()"
    assert response.headers["Permissions-Policy"] == PERMISSIONS_POLICY


@pytest.mark.parametrize("url", ["/call/", "/async-call/"])
def test_a_page_of_a_decorated_view_allows_camera_and_microphone_for_our_origin_only(client, url):
    response = client.get(url)
    assert response.status_code == 200
    policy = _policy(response)
    assert policy["camera"] == "(self)" and policy["microphone"] == "(self)"
    # Nothing else is turned on with them.
    assert {feature: value for feature, value in policy.items() if value != "()"} == {
        "camera": "(self)",
        "microphone": "(self)",
    }


def test_the_allowance_does_not_leak_to_the_next_ordinary_response(client):
    client.get("/call/")
    assert _policy(client.get("/ordinary/"))["camera"] == "()"


@pytest.mark.parametrize("url", ["/ordinary/", "/call/", "/async-call/"])
def test_the_csp_stays_strict_on_the_call_page_too(client, url):
    response = client.get(url)
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]


@pytest.mark.urls("counseling.urls")
def test_the_sites_own_pages_keep_camera_and_microphone_off(client):
    for url in ("/", "/consent/transparency/"):
        policy = _policy(client.get(url))
        assert policy["camera"] == "()" and policy["microphone"] == "()", url
