"""A published version's sections are read once per process (consent.rendering); a draft's every time, and a
version written under an id already read never shows the text kept for the old one."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from consent.models import ELEMENT_KEYS, ConsentSection, ConsentVersion, VersionStatus
from consent.rendering import consent_render
from consent.selectors import consent_version_in_force
from counseling.clock import now

pytestmark = pytest.mark.django_db


def _section_reads(queries) -> int:
    return sum('"consent_consentsection"' in query["sql"] for query in queries)


def _draft(*, number: int, body: str, pk=None, published_at=None) -> ConsentVersion:
    version = ConsentVersion.objects.create(pk=pk, language="en", number=number, effective_at=now(), change_summary="")
    for position, key in enumerate(ELEMENT_KEYS):
        ConsentSection.objects.create(version=version, key=key, position=position, title=key, body=f"{body} {key}")
    return version


def _publish(version: ConsentVersion, *, at) -> ConsentVersion:
    ConsentVersion.objects.filter(pk=version.pk, status=VersionStatus.DRAFT).update(
        status=VersionStatus.PUBLISHED, published_at=at
    )
    return ConsentVersion.objects.get(pk=version.pk)


def test_a_published_version_s_sections_are_read_once_and_render_the_same():
    version = consent_version_in_force(language="en")
    first = consent_render(version=version)
    with CaptureQueriesContext(connection) as queries:
        again = consent_render(version=ConsentVersion.objects.get(pk=version.pk))
    assert _section_reads(queries) == 0
    assert again.text == first.text and again.sha256 == first.sha256
    stored = list(ConsentSection.objects.filter(version=version).order_by("position", "pk"))
    assert [section.key for section in again.sections] == [section.key for section in stored]


def test_a_draft_s_sections_are_read_every_time_so_an_edit_shows_at_once():
    draft = _draft(number=90, body="First wording.")
    assert "First wording. emergencies" in consent_render(version=draft).text
    ConsentSection.objects.filter(version=draft, key="emergencies").update(body="Second wording.")
    rendered = consent_render(version=draft)
    assert "Second wording." in rendered.text and "First wording. emergencies" not in rendered.text


def test_a_version_written_under_an_id_already_read_shows_its_own_text():
    """What a rolled-back test database does: the same id, even the same publication time, for another text."""
    at = now()
    with pytest.raises(RuntimeError), transaction.atomic():
        old = _publish(_draft(number=91, body="Old text."), at=at)
        assert "Old text." in consent_render(version=old).text
        reused_id = old.pk
        raise RuntimeError("roll back")
    assert not ConsentVersion.objects.filter(pk=reused_id).exists()
    new = _publish(_draft(number=91, body="New text.", pk=reused_id), at=at)
    assert (new.pk, new.published_at) == (reused_id, at)
    rendered = consent_render(version=new)
    assert "New text." in rendered.text and "Old text." not in rendered.text
