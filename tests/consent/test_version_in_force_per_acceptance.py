"""The gate asks, with each acceptance it reads, whether its version is in force (one statement); that answer is
the version consent_versions_in_force names for the language, at every moment and for every kind of version."""

from datetime import timedelta

import pytest

from consent.models import ConsentAcceptance, ConsentVersion, VersionStatus
from consent.selectors import _acceptances_with_version_in_force, consent_status_for_client, consent_versions_in_force
from counseling.clock import now
from tests.conftest import make_client

pytestmark = pytest.mark.django_db


def _version(language: str, number: int, effective_at, *, published: bool = True) -> ConsentVersion:
    version = ConsentVersion.objects.create(
        language=language, number=number, effective_at=effective_at, change_summary=""
    )
    if published:
        ConsentVersion.objects.filter(pk=version.pk).update(status=VersionStatus.PUBLISHED, published_at=now())
    return version


def test_each_acceptance_s_version_is_in_force_exactly_when_consent_versions_in_force_names_it():
    start = now()
    versions = [
        _version("en", 20, start + timedelta(days=1)),
        _version("en", 21, start + timedelta(days=1)),  # the same day, a higher number: wins the tie
        _version("en", 22, start + timedelta(days=3)),
        _version("en", 23, start + timedelta(days=2), published=False),  # a draft is never in force
        _version("id", 20, start + timedelta(days=2)),
        _version("id", 19, start + timedelta(days=4)),  # a lower number, in effect later: wins by date
    ]
    client = make_client("in-force@example.com", "Rani")
    every = list(ConsentVersion.objects.all())
    for version in every:
        ConsentAcceptance.objects.create(
            client=client, version=version, language=version.language, text_sha256="0" * 64, rendered_text="x"
        )
    assert {v.pk for v in versions} <= {v.pk for v in every}
    seen_in_force = set()
    for moment in [start + timedelta(days=d, hours=h) for d in range(6) for h in (0, 12)] + [
        start + timedelta(days=1),
        start + timedelta(days=3),
    ]:
        expected = {version.pk for version in consent_versions_in_force(at=moment).values()}
        rows = _acceptances_with_version_in_force(ConsentAcceptance.objects.filter(client=client), at=moment)
        answered = {row.version_id for row in rows if row.version_in_force}
        assert answered == expected, moment
        seen_in_force |= answered
    # Every rule above was met at some moment: the tie, the later date, and the draft never.
    assert {versions[1].pk, versions[2].pk, versions[4].pk, versions[5].pk} <= seen_in_force
    assert versions[0].pk not in seen_in_force and versions[3].pk not in seen_in_force


def test_the_status_marks_in_force_only_the_acceptance_of_the_version_in_force_and_not_a_withdrawn_one():
    client = make_client("status@example.com", "Sari")
    in_force = consent_versions_in_force()["en"]
    older = _version("en", 0, now() - timedelta(days=900))
    rows = [
        ConsentAcceptance.objects.create(
            client=client, version=version, language="en", text_sha256="0" * 64, rendered_text="x", withdrawn_at=gone
        )
        for version, gone in ((older, None), (in_force, now()), (in_force, None))
    ]
    status = consent_status_for_client(client=client)
    marked = {acceptance.pk: acceptance.is_in_force for acceptance in status["acceptances"]}
    assert marked == {rows[0].pk: False, rows[1].pk: False, rows[2].pk: True}
    assert status["current"].pk == rows[2].pk and status["gate"]
