"""Small helpers for the consent tests: accept the version in force, make a session, read the page."""

from datetime import timedelta
from html.parser import HTMLParser

import pytest

from consent.models import ELEMENT_KEYS
from consent.rendering import consent_render
from consent.selectors import consent_version_in_force
from consent.services import consent_accept
from counseling.clock import now


def accept_current(client_user, *, language: str = "id", counselor=None):
    version = consent_version_in_force(language=language)
    rendered = consent_render(version=version, counselor=counselor)
    return consent_accept(
        client=client_user,
        version=version,
        counselor=counselor,
        shown_sha256=rendered.sha256,
        acknowledged=list(ELEMENT_KEYS),
    )


def make_session(client_user, counselor, *, starts_in=timedelta(days=2), state="scheduled"):
    from sessions.models import CounselingSession

    starts_at = now() + starts_in
    return CounselingSession.objects.create(
        client=client_user,
        counselor=counselor,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=50),
        state=state,
    )


class ConsentTextParser(HTMLParser):
    """Collects the text of the elements marked data-consent-part, in page order, as the page shows it."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._depth = 0
        self._tag = None

    def handle_starttag(self, tag, attrs):
        if self._depth:
            self._depth += 1
        elif any(name == "data-consent-part" for name, _value in attrs):
            self._depth = 1
            self.parts.append("")

    def handle_endtag(self, tag):
        if self._depth:
            self._depth -= 1

    def handle_data(self, data):
        if self._depth:
            self.parts[-1] += data


def consent_text_on_page(html: str) -> str:
    parser = ConsentTextParser()
    parser.feed(html)
    return "\n\n".join(parser.parts)


@pytest.fixture(autouse=True)
def _default_consent_published(request):
    """Version 1 (en, id) comes from a data migration, which a transactional test's flush empties: re-publish it."""
    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(request.fixturenames)
    if uses_db:
        request.getfixturevalue("transactional_db" if _is_transactional(request) else "db")
        from consent.services import consent_defaults_publish

        consent_defaults_publish()


def _is_transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return (
        bool(marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))
        or "transactional_db" in request.fixturenames
    )


@pytest.fixture
def id_client(client_a):
    """client_a prefers Bahasa Indonesia."""
    return client_a
