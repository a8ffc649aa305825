"""The class of issue 21's finding 3, crawled: every GET route of the site, as a persona who may open it, with a
NUL, a digit that is not 0-9 ("²") and a moment in year 1 or 9999 in every known query parameter; every form
those pages show, posted with the same values in every field; every admin list searched with them.

Nothing of that may give a 500. (A 400, a form error, a redirect or a 404 are all fine.) A route or form added
later is crawled without a change here; a query parameter a view reads is listed in QUERY_PARAMETERS.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from django.contrib import admin
from django.db import transaction
from django.test import Client

from tests.security.matrix import HTTP_ROUTES, fill
from tests.sessions.booking_support import work_every_day

pytestmark = [pytest.mark.django_db]

# The values of the class. Each one once broke a view (issue 21); Django's own forms refuse them cleanly.
MALFORMED = ["a\x00b", "\u00b2", "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "9999-12-31"]
# Every query parameter a view reads from request.GET itself (grep 'request.GET'), and Django admin's own.
QUERY_PARAMETERS = [
    "place",
    "country",
    "region",
    "reschedule",
    "weeks",
    "page",
    "next",
    "signed_out",
    "discarded",
    "email",
    "format",
    "q",
    "o",
    "p",
]
# Who crawls a route: the first of these the authorization matrix lets in.
CRAWLERS = ("client_a", "counselor_a", "admin", "anonymous")
# Posting these would end the crawl's own sign-in.
NOT_POSTED = {"/accounts/logout/"}


class _Forms(HTMLParser):
    """The forms of a page: (method, action, field names)."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, str, set[str]]] = []
        self._current = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._current = ((attrs.get("method") or "get").lower(), attrs.get("action") or "", set())
            self.forms.append(self._current)
        elif tag in ("input", "select", "textarea", "button") and self._current is not None and attrs.get("name"):
            if attrs["name"] != "csrfmiddlewaretoken":
                self._current[2].add(attrs["name"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def _forms(page_url: str, content: bytes) -> list[tuple[str, str, set[str]]]:
    parser = _Forms()
    parser.feed(content.decode("utf-8", "replace"))
    found = []
    for method, action, fields in parser.forms:
        target = urlsplit(urljoin("http://testserver" + page_url, action))
        if target.netloc == "testserver":
            found.append((method, target.path, fields))
    return found


class _Crawl:
    def __init__(self, browser_for):
        self.browser_for = browser_for
        self.failures: list[str] = []
        self.requests = 0

    def request(self, persona: str, method: str, path: str, data: dict) -> None:
        """One request in its own savepoint, so a database error of one (PostgreSQL) cannot spoil the next."""
        browser = self.browser_for(persona)
        savepoint = transaction.savepoint()
        try:
            response = getattr(browser, method)(path, data)
        finally:
            transaction.savepoint_rollback(savepoint)
        self.requests += 1
        if response.status_code >= 500:
            shown = data if len(data) < 3 else f"{sorted(data)} = {next(iter(data.values()))!r}"
            self.failures.append(f"{method.upper()} {path} as {persona} with {shown}: {response.status_code}")


@pytest.fixture
def crawl(world, browser_as, counselor_a):
    work_every_day(counselor_a)  # booking pages offer slots, so their forms are shown
    browsers: dict[str, Client] = {}

    def browser_for(persona):
        if persona not in browsers:
            browsers[persona] = browser_as(persona)
            browsers[persona].raise_request_exception = False
        return browsers[persona]

    return _Crawl(browser_for)


def _crawler(outcomes: dict[str, str]) -> str | None:
    return next((persona for persona in CRAWLERS if outcomes.get(persona) == "ok"), None)


def test_no_route_or_form_fails_on_a_nul_a_foreign_digit_or_a_far_moment(world, crawl):
    for route, (_name, outcomes) in HTTP_ROUTES.items():
        persona = _crawler(outcomes)
        if persona is None:
            continue
        path = fill(route, world.kwargs)
        page = crawl.browser_for(persona).get(path)
        assert page.status_code < 500, f"GET {path} as {persona}: {page.status_code}"
        forms = _forms(path, page.content) if page.status_code == 200 else []
        for value in MALFORMED:
            # One parameter at a time, so a parameter refused first cannot hide one that fails after it.
            for parameter in QUERY_PARAMETERS:
                crawl.request(persona, "get", path, {parameter: value})
            for method, action, fields in forms:
                if action in NOT_POSTED or not fields:
                    continue
                crawl.request(persona, "post" if method == "post" else "get", action, dict.fromkeys(fields, value))
            if "post" not in {method for method, _, _ in forms} and path not in NOT_POSTED:
                crawl.request(persona, "post", path, dict.fromkeys(QUERY_PARAMETERS, value))
    assert crawl.requests > 1000  # the crawl reached the site, not only the sign-in page
    assert not crawl.failures, "\n".join(crawl.failures)


def test_no_admin_list_fails_on_a_search_or_filter_with_a_nul_a_foreign_digit_or_a_far_moment(world, crawl):
    for model in admin.site._registry:
        path = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        for value in MALFORMED:
            for parameter in ("q", "o", "p", "e", "_changelist_filters"):
                crawl.request("admin", "get", path, {parameter: value})
            crawl.request("admin", "get", path + "?" + urlencode({"id__exact": value}), {})
    assert crawl.requests > 100
    assert not crawl.failures, "\n".join(crawl.failures)
