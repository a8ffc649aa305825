"""No page loads anything from another origin, and nothing inline that the CSP forbids.

Every GET page of the authorization matrix is fetched as every persona the table lets see it. The
HTML is parsed with the standard library: scripts, stylesheets, fonts, icons, images, frames and
media must come from this site; no `style=` attribute, no `on...=` handler, no inline script or
style body. Outbound `<a href>` links (a licensing body's public register) are links, not loads.
"""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from tests.security.matrix import HTTP_ROUTES, PERSONAS, QUERY, fill

LOADING_ATTRIBUTES = {
    "script": ("src",),
    "link": ("href",),
    "img": ("src", "srcset"),
    "iframe": ("src",),
    "frame": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "video": ("src", "poster"),
    "audio": ("src",),
    "source": ("src", "srcset"),
    "track": ("src",),
    "input": ("src",),
    "form": ("action",),
    "base": ("href",),
}
DATA_SCRIPT_TYPES = ("application/json", "application/ld+json")  # data blocks, never executed


class PageAudit(HTMLParser):
    def __init__(self, host: str):
        super().__init__(convert_charrefs=True)
        self.host = host
        self.problems: list[str] = []
        self._inline: str | None = None  # the tag whose body we are inside (script/style)

    def _foreign(self, value: str) -> bool:
        for candidate in value.split(","):  # srcset: "url 1x, url 2x"
            url = candidate.strip().split(" ")[0]
            parts = urlsplit(url)
            if parts.scheme in ("http", "https") or url.startswith("//"):
                if parts.netloc != self.host:
                    return True
            elif parts.scheme and parts.scheme not in ("data",):
                return True  # javascript:, ftp:, ...
        return False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if name == "style":
                self.problems.append(f"<{tag} style=...> (inline style; the CSP forbids it)")
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...> (inline handler; the CSP forbids it)")
            if name == "href" and tag == "a" and (value or "").lower().startswith("javascript:"):
                self.problems.append("<a href=javascript:...>")
        for name in LOADING_ATTRIBUTES.get(tag, ()):
            value = attributes.get(name)
            if value and self._foreign(value):
                self.problems.append(f"<{tag} {name}={value!r}> loads from another origin")
        if tag == "script" and not attributes.get("src") and (attributes.get("type") or "") not in DATA_SCRIPT_TYPES:
            self._inline = "script"
        if tag == "style":
            self._inline = "style"

    def handle_data(self, data):
        if self._inline and data.strip():
            self.problems.append(f"inline <{self._inline}> body (the CSP forbids it)")
            self._inline = None

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._inline = None


def page_problems(html: str, host: str = "testserver") -> list[str]:
    audit = PageAudit(host)
    audit.feed(html)
    audit.close()
    return audit.problems


def test_the_checker_itself_catches_what_it_should():
    bad = """<link rel="stylesheet" href="https://cdn.example/x.css"><script src="//cdn.example/x.js"></script>
    <img src="https://tracker.example/p.gif"><p style="color:red" onclick="x()">x</p><script>alert(1)</script>
    <style>p{}</style><iframe src="https://ads.example/"></iframe><link rel="icon" href="https://x.example/i.ico">"""
    assert len(page_problems(bad)) == 9
    good = """<link rel="stylesheet" href="/static/css/site.css"><script src="/static/js/a.js" defer></script>
    <img src="data:image/svg+xml;base64,AAAA" alt=""><a href="https://himpsi.or.id/">register</a>
    <script id="s" type="application/json">{"a": 1}</script><form action="/help/" method="post"></form>"""
    assert page_problems(good) == []


# Links from e-mails that the security world cannot hold a real token for: nobody opens them ("deny"), and the page
# they answer with (this link is not valid, have it sent again) is the one checked, as the anonymous visitor.
REFUSAL_PAGES = {"accounts/verify-email/<str:token>/"}


def _pages():
    return sorted(HTTP_ROUTES)


@pytest.mark.parametrize("route", _pages())
def test_no_page_loads_anything_from_another_origin_or_inline(route, world, browser_as, cast):
    from tests.conftest import confirmed_totp_device

    confirmed_totp_device(cast["counselor_a"])
    _name, expected = HTTP_ROUTES[route]
    url = fill(route, world.kwargs) + QUERY.get(route, "")
    problems = []
    for persona in PERSONAS:
        if expected[persona] != "ok" and not (route in REFUSAL_PAGES and persona == "anonymous"):
            continue
        response = browser_as(persona).get(url)
        if response.status_code == 405:  # POST-only: nothing to render
            continue
        csp = response.headers.get("Content-Security-Policy", "")
        assert csp, f"{url} as {persona}: no Content-Security-Policy header"
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "default-src" in csp, csp
        rendered = response.status_code == 200 or route in REFUSAL_PAGES
        if not rendered or "text/html" not in response.headers.get("Content-Type", ""):
            continue
        problems += [f"{url} as {persona}: {problem}" for problem in page_problems(response.content.decode())]
    assert problems == []
    if all(cell != "ok" for cell in expected.values()) and route not in REFUSAL_PAGES:
        pytest.fail(f"{route}: nobody may open it, so nothing was checked")


def test_every_page_of_the_site_sends_the_same_strict_policy(world, browser_as):
    from counseling.middleware import CONTENT_SECURITY_POLICY

    for path in ("/", "/accounts/login/", "/consent/transparency/", "/licensing/counselors/"):
        response = browser_as("anonymous").get(path)
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
