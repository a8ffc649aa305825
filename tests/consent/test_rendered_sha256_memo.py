"""consent_rendered_sha256 remembers the hash of a published version rendered with a counselor's disclosure, by
everything the text depends on: each input changed gives the hash of the text as rendered now (consent_render,
which remembers nothing), never the one remembered for the old text."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from consent import rendering
from consent.rendering import consent_render, consent_rendered_sha256
from consent.selectors import consent_version_in_force
from consent.services import consent_draft_create, consent_version_publish
from counseling.clock import now
from counseling.models import CounselorProfile, User
from licensing import selectors
from licensing.models import IssuingBody, Jurisdiction, Licence, LicenceState
from licensing.selectors import counselor_credentials_once
from tests.licensing.factories import TODAY, licence

pytestmark = pytest.mark.django_db


def _fresh(counselor) -> User:
    return User.objects.select_related("counselor_profile").get(pk=counselor.pk)


def _hash(version, counselor, *, shared: bool = False) -> str:
    """The remembered hash, checked against the text as rendered now; `shared`: the credentials read as the
    booking, chat and caseload pages read them (counselor_credentials_once)."""
    counselor = _fresh(counselor)
    if shared:
        counselor_credentials_once(counselor=counselor)
    got = consent_rendered_sha256(version=version, counselor=counselor)
    kept = dict(selectors._disclosure_lines)
    selectors._disclosure_lines.clear()  # the credential lines as written now, too
    assert got == consent_render(version=version, counselor=_fresh(counselor)).sha256
    selectors._disclosure_lines.update(kept)
    return got


def _profile_changes():
    return [
        ("display_name", "Dr. Another Name"),
        ("professional_title", "Psikolog Klinis Senior"),
        ("practice_location", "Jl. Kaliurang 9, Yogyakarta"),
        ("practice_country", "MY"),
        ("contact_email", "another@example.test"),
        ("contact_phone", "+62 274 999"),
        ("response_time_promise_hours", 72),
        ("time_zone", "Asia/Makassar"),
        ("languages", "id, en, jv"),
    ]


@pytest.mark.parametrize("shared", [False, True])
def test_each_field_of_the_profile_the_disclosure_shows_changes_the_hash(counselor_a, shared):
    licence(counselor_a, "ID", number="STR-1")
    version = consent_version_in_force(language="id")
    seen = {_hash(version, counselor_a, shared=shared)}
    for field, value in _profile_changes():
        CounselorProfile.objects.filter(user=counselor_a).update(**{field: value})
        got = _hash(version, counselor_a, shared=shared)
        assert got not in seen, field
        seen.add(got)
        assert _hash(version, counselor_a, shared=shared) == got  # remembered


@pytest.mark.parametrize("shared", [False, True])
def test_each_change_of_the_credentials_changes_the_hash(counselor_a, shared):
    version = consent_version_in_force(language="en")
    seen = {_hash(version, counselor_a, shared=shared)}  # none on record

    def changed(what):
        got = _hash(version, counselor_a, shared=shared)
        assert got not in seen, what
        seen.add(got)

    registration = licence(counselor_a, "ID", number="STR-1")
    changed("a licence verified")
    Licence.objects.filter(pk=registration.pk).update(number="STR-2")
    changed("its number")
    Licence.objects.filter(pk=registration.pk).update(expires_on=TODAY + timedelta(days=500))
    changed("its end")
    Licence.objects.filter(pk=registration.pk).update(kind="sippk")
    changed("its kind")
    IssuingBody.objects.filter(pk=registration.issuing_body_id).update(name="Another council")
    changed("its issuing body's name")
    IssuingBody.objects.filter(pk=registration.issuing_body_id).update(registry_url="https://another.test/")
    changed("its issuing body's register")
    Jurisdiction.objects.filter(pk=registration.jurisdiction_id).update(name="Another name of the place")
    changed("its place's name")
    licence(counselor_a, "ID-YO", kind="sippk", number="SIPPK-9")
    changed("a second licence")
    Licence.objects.filter(pk=registration.pk).update(state=LicenceState.SUSPENDED)
    changed("a licence suspended")


def test_the_day_the_credentials_are_read_on_is_in_the_key(counselor_a, monkeypatch):
    licence(counselor_a, "ID", number="STR-1", expires_on=now().date() + timedelta(days=3))
    version = consent_version_in_force(language="id")
    today = _hash(version, counselor_a)
    later = now() + timedelta(days=5)
    monkeypatch.setattr(rendering, "now", lambda: later)
    after_expiry = _hash(version, counselor_a)
    assert after_expiry != today
    assert "STR-1" not in consent_render(version=version, counselor=_fresh(counselor_a)).text


def test_each_version_and_language_has_its_own_hash(counselor_a, admin_user):
    licence(counselor_a, "ID", number="STR-1")
    english, indonesian = consent_version_in_force(language="en"), consent_version_in_force(language="id")
    hashes = {_hash(english, counselor_a), _hash(indonesian, counselor_a)}
    newer = consent_version_publish(
        version=consent_draft_create(language="id", created_by=admin_user), actor=admin_user
    )
    hashes.add(_hash(consent_version_in_force(language="id"), counselor_a))
    assert len(hashes) == 3, newer


def test_a_draft_is_rendered_every_time(counselor_a, admin_user):
    draft = consent_draft_create(language="en", created_by=admin_user)
    first = _hash(draft, counselor_a)
    draft.sections.filter(key="emergencies").update(body="Another wording.")
    assert _hash(draft, counselor_a) != first


def test_the_same_inputs_are_rendered_once(counselor_a, monkeypatch):
    licence(counselor_a, "ID", number="STR-1")
    version = consent_version_in_force(language="id")
    expected = _hash(version, counselor_a)
    renders = []
    original = rendering._render
    monkeypatch.setattr(rendering, "_render", lambda **kwargs: renders.append(kwargs) or original(**kwargs))
    counselor = _fresh(counselor_a)
    counselor_credentials_once(counselor=counselor)
    with CaptureQueriesContext(connection) as queries:
        assert consent_rendered_sha256(version=version, counselor=counselor) == expected
    assert renders == []
    assert len(queries) == 1  # the credentials, read each time: they are in the key
