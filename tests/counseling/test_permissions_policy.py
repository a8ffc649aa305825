"""Permissions-Policy per response (issue 18): camera and microphone are off on every page, and on, for our own
origin only, on the pages of views decorated with counseling.middleware.allows_camera_and_microphone (the call
page). The CSP is the same strict one everywhere."""

import pytest

from counseling.middleware import CONTENT_SECURITY_POLICY, PERMISSIONS_POLICY
from sessions.models import SessionMedium
from tests.sessions.chat_helpers import open_gates, open_session

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


@pytest.mark.urls("counseling.urls")
def test_the_sessions_call_page_allows_camera_and_microphone_and_its_chat_page_does_not(
    client, client_a, counselor_a, monkeypatch
):
    open_gates(monkeypatch)
    _conversation, session = open_session(client_a, counselor_a)
    session.medium = SessionMedium.VIDEO
    session.save(update_fields=["medium"])
    client.force_login(client_a)
    call_page = client.get(f"/sessions/{session.pk}/call/")
    assert call_page.status_code == 200
    assert _policy(call_page)["camera"] == "(self)" and _policy(call_page)["microphone"] == "(self)"
    chat_page = client.get(f"/sessions/{session.pk}/chat/", follow=True)
    assert _policy(chat_page)["camera"] == "()" and _policy(chat_page)["microphone"] == "()"
