"""The authorization matrix: every route of the URL configuration and every WebSocket route,
against every persona, with objects that belong to client A and counselor A. The expected outcome of
each cell is declared once, in tests/security/matrix.py."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.apps import apps
from django.contrib import admin

from counseling.gates import GateResult
from tests.security.conftest import MARKERS, ORIGIN, build_chat_world, persona_user
from tests.security.matrix import (
    HTTP_ROUTES,
    PERSONAS,
    POST_DATA,
    QUERY,
    WS_ROUTES,
    fill,
    http_routes,
    ws_routes,
)

OUR_APPS = ("counseling", "consent", "licensing", "counseling_sessions", "clinical")
OUTSIDERS = ("anonymous", "client_b", "counselor_b", "admin_no_mfa", "counselor_a_no_mfa")


def outcome(response, *, posted: bool) -> str:
    status = response.status_code
    if 200 <= status < 300:
        return "ok"
    if status in (301, 302, 303, 307, 308):
        path = urlsplit(response["Location"]).path
        if path.startswith("/accounts/login/"):
            return "login"
        if path.startswith("/accounts/mfa/"):
            return "mfa"
        return "ok"
    if status in (403, 404) or (posted and status in (400, 405)):
        return "deny"
    return f"status {status}"


def state_of_everything() -> dict:
    """Row counts of every model of our apps, and the fields a POST could flip on client A's objects."""
    counts = {
        model._meta.label: model._default_manager.count()
        for label in OUR_APPS
        for model in apps.get_app_config(label).get_models()
        if model._meta.label != "counseling.AuditEntry"
    }
    from crisis.models import Escalation
    from licensing.models import LapseNotice, Licence
    from records.models import ErasureRequest
    from sessions.models import CounselingSession, SessionDrop

    counts["states"] = (
        sorted(CounselingSession.objects.values_list("pk", "state", "cancelled_at")),
        sorted(Escalation.objects.values_list("pk", "state")),
        sorted(LapseNotice.objects.values_list("pk", "dismissed_at")),
        sorted(ErasureRequest.objects.values_list("pk", "decision")),
        sorted(Licence.objects.values_list("pk", "state")),
        sorted(SessionDrop.objects.values_list("pk", "recorded_at")),
    )
    return counts


def leaks(body: bytes, url: str) -> list[str]:
    """Client A's data in a response; a marker the requester typed into the URL itself does not count
    (the language switcher of every page echoes the page's own address)."""
    text = body.decode("utf-8", "replace")
    found = [marker for marker in MARKERS if marker in text and marker not in url]
    if re.search(r"\bClient A\b", text):
        found.append("Client A")
    return found


def test_every_route_is_in_the_table_and_every_table_line_is_a_route():
    routes = http_routes()
    assert sorted(set(routes) - set(HTTP_ROUTES)) == [], "routes missing from tests/security/matrix.py"
    assert sorted(set(HTTP_ROUTES) - set(routes)) == [], "table lines for routes that no longer exist"
    assert {route: name for route, (name, _cells) in HTTP_ROUTES.items()} == routes
    sockets = ws_routes()
    assert sorted(set(sockets) - set(WS_ROUTES)) == [], "WebSocket routes missing from the table"
    assert sorted(set(WS_ROUTES) - set(sockets)) == [], "table lines for WebSocket routes that no longer exist"
    for _name, cells in [*HTTP_ROUTES.values(), *WS_ROUTES.values()]:
        assert set(cells) == set(PERSONAS)


def _all_routes() -> list[str]:
    return sorted(set(HTTP_ROUTES) | set(http_routes()))


@pytest.mark.parametrize("route", _all_routes())
def test_route_answers_each_persona_as_the_table_says(route, world, browser_as, cast, monkeypatch):
    # A route missing from the table (or a stale line) fails here too, under its own name.
    assert route in http_routes(), f"{route!r} is in the table but not in the URL configuration"
    assert route in HTTP_ROUTES, f"{route!r} has no line in tests/security/matrix.py: declare who may open it"
    _name, expected = HTTP_ROUTES[route]
    url = fill(route, world.kwargs) + QUERY.get(route, "")
    from tests.conftest import confirmed_totp_device

    confirmed_totp_device(cast["counselor_a"])  # the no-MFA counselor has an authenticator, not passed
    got, problems = {}, []
    for persona in PERSONAS:
        browser = browser_as(persona)
        before = state_of_everything()
        response = browser.get(url)
        posted = response.status_code == 405
        if posted:  # a POST-only route: an empty body (or the declared one)
            response = browser.post(url, POST_DATA.get(route, {}))
        got[persona] = outcome(response, posted=posted)
        if expected[persona] != "ok":
            if state_of_everything() != before:
                problems.append(f"{persona}: a refused request changed stored data")
        if expected[persona] != "ok" or persona in OUTSIDERS:
            found = leaks(response.content, url)
            if found:
                problems.append(f"{persona}: client A's data in the response: {found}")
    differing = {
        persona: f"got {got[persona]}, table says {expected[persona]}"
        for persona in PERSONAS
        if got[persona] != expected[persona]
    }
    assert differing == {}, f"{route}: outcome per persona differs from the table"
    assert problems == []


# --- Django's own admin site ------------------------------------------------------------------------


def _admin_pages() -> list[str]:
    pages = ["/admin/"]
    for model in admin.site._registry:
        meta = model._meta
        pages.append(f"/admin/{meta.app_label}/{meta.model_name}/")
        pages.append(f"/admin/{meta.app_label}/{meta.model_name}/add/")
    return pages


@pytest.mark.parametrize(
    "persona", ["anonymous", "client_a", "client_b", "counselor_a", "counselor_b", "counselor_a_no_mfa", "admin_no_mfa"]
)
def test_the_django_admin_refuses_everyone_but_admins_with_a_second_factor(persona, world, browser_as):
    browser = browser_as(persona)
    opened = []
    for page in _admin_pages():
        response = browser.get(page)
        if response.status_code == 200:
            opened.append(page)
        elif response.status_code in (301, 302):
            assert urlsplit(response["Location"]).path in (
                "/admin/login/",
                "/accounts/login/",
                "/accounts/mfa/setup/",
                "/accounts/mfa/verify/",
            ), (page, response["Location"])
        else:
            assert response.status_code in (403, 404), (page, response.status_code)
    assert opened == []


def test_the_django_admin_opens_for_an_admin_with_a_second_factor(world, browser_as):
    browser = browser_as("admin")
    for page in _admin_pages():
        if page.endswith("/add/"):  # some models are append-only or read-only (the audit log): 403 there
            assert browser.get(page).status_code in (200, 403), page
        else:
            assert browser.get(page).status_code == 200, page


def test_the_admin_login_page_itself_does_not_let_a_client_in(world, browser_as):
    browser = browser_as("client_a")
    response = browser.get("/admin/login/?next=/admin/")
    assert response.status_code in (200, 302)
    assert browser.get("/admin/").status_code == 302


# --- WebSocket routes -------------------------------------------------------------------------------


def _open_gates(monkeypatch):
    for name in ("consent_gate", "identity_gate", "jurisdiction_gate"):
        monkeypatch.setattr(f"sessions.selectors.{name}", lambda **kw: GateResult.ok())


def _session_cookie(user, *, second_factor: bool) -> bytes:
    from django.conf import settings
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    from tests.conftest import confirmed_totp_device

    browser = Client()
    browser.force_login(user)
    if second_factor and user.role in ("counselor", "admin"):
        session = browser.session
        session[DEVICE_ID_SESSION_KEY] = confirmed_totp_device(user).persistent_id
        session.save()
    return f"{settings.SESSION_COOKIE_NAME}={browser.session.session_key}".encode()


async def _connect(path: str, user, *, second_factor: bool, origin: bytes = ORIGIN) -> bool:
    from counseling.asgi import application

    headers = [(b"origin", origin)]
    if user.is_authenticated:
        headers.append((b"cookie", await database_sync_to_async(_session_cookie)(user, second_factor=second_factor)))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    communicator.scope["user"] = user
    connected, _code = await communicator.connect(timeout=5)
    if connected and "/call/" in path:
        await communicator.send_json_to({"type": "join"})  # a call socket says "ready" once joined
        connected = (await communicator.receive_json_from(timeout=5)).get("type") == "ready"
    elif connected:
        first = await communicator.receive_json_from(timeout=5) if "/chat/" in path else {"type": "hello"}
        connected = first.get("type") == "hello"
    await communicator.disconnect()
    return connected


def _ws_world(cast):
    from identity.models import CodeWordCheck

    world = build_chat_world(cast)
    # A video session whose client's code word matched at its start: every gate of the call holds.
    session = world.objects["session"]
    CodeWordCheck.objects.create(client=session.client, session=session, matched=True)
    type(session).objects.filter(pk=session.pk).update(medium="video")
    world.kwargs = {"conversation_id": world.objects["conversation"].pk, "session_id": world.objects["session"].pk}
    return world


@pytest.fixture
def ws_world(transactional_db, cast, monkeypatch):
    _open_gates(monkeypatch)
    from tests.conftest import confirmed_totp_device

    world = _ws_world(cast)
    confirmed_totp_device(cast["counselor_a"])
    yield world
    from django.db import connections

    connections.close_all()


@pytest.mark.parametrize("route", sorted(set(WS_ROUTES) | set(ws_routes())))
def test_websocket_route_accepts_or_refuses_each_persona_as_the_table_says(route, ws_world, cast):
    assert route in WS_ROUTES, f"{route!r} has no line in tests/security/matrix.py"
    _name, expected = WS_ROUTES[route]
    path = fill(route, ws_world.kwargs)
    got = {}
    for persona in PERSONAS:
        user = persona_user(cast, persona)
        second_factor = persona not in ("admin_no_mfa", "counselor_a_no_mfa")
        accepted = async_to_sync(_connect)(path, user, second_factor=second_factor)
        got[persona] = "accept" if accepted else "refuse"
    assert got == expected


@pytest.mark.parametrize("route", sorted(WS_ROUTES))
def test_websocket_route_refuses_a_foreign_origin(route, ws_world, cast):
    path = fill(route, ws_world.kwargs)
    for origin in (b"https://evil.example", b"http://127.0.0.1.evil.example", b"null"):
        assert not async_to_sync(_connect)(path, cast["client_a"], second_factor=True, origin=origin), origin
    assert async_to_sync(_connect)(path, cast["client_a"], second_factor=True)  # the right origin still works


def test_a_closed_gate_refuses_the_chat_socket_even_to_its_participants(ws_world, cast, monkeypatch):
    monkeypatch.setattr(
        "sessions.selectors.consent_gate", lambda **kw: GateResult.refuse("consent_missing", "No consent.")
    )
    path = fill("ws/chat/<int:conversation_id>/session/<int:session_id>/", ws_world.kwargs)
    assert not async_to_sync(_connect)(path, cast["client_a"], second_factor=True)
    assert not async_to_sync(_connect)(path, cast["counselor_a"], second_factor=True)
    call = fill("ws/sessions/<int:session_id>/call/", ws_world.kwargs)
    assert not async_to_sync(_connect)(call, cast["client_a"], second_factor=True)
    assert not async_to_sync(_connect)(call, cast["counselor_a"], second_factor=True)
