"""Consent as structured, versioned data: every required element, publishing rules, immutability."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from consent.models import ELEMENT_KEYS, ConsentSection, ConsentVersion, ImmutableConsentError
from consent.selectors import consent_version_in_force
from consent.services import consent_draft_create, consent_draft_update, consent_version_publish
from counseling.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_a_fresh_install_has_a_published_version_in_english_and_indonesian_with_every_element():
    for language in ("en", "id"):
        version = consent_version_in_force(language=language)
        assert version is not None and version.is_published
        sections = {section.key: section for section in version.sections.all()}
        assert list(sections) == ELEMENT_KEYS
        assert all(section.title.strip() and section.body.strip() for section in sections.values())


def test_the_indonesian_version_names_the_indonesian_emergency_numbers():
    version = consent_version_in_force(language="id")
    emergencies = version.sections.get(key="emergencies").body
    assert "112" in emergencies and "119 ekstensi 8" in emergencies


def test_the_required_elements_cover_the_distance_counseling_checklist():
    for key in ["counselor", "risks_benefits", "technology_failure", "response_times", "emergencies",
                "differences", "insurance", "social_media", "records_access", "face_to_face",
                "confidentiality_limits", "jurisdiction", "retention"]:
        assert key in ELEMENT_KEYS


def test_a_new_draft_starts_as_a_copy_of_the_newest_version(admin_user):
    draft = consent_draft_create(language="en", created_by=admin_user)
    current = consent_version_in_force(language="en")
    assert draft.number == current.number + 1 and not draft.is_published
    assert [(s.key, s.body) for s in draft.sections.all()] == [(s.key, s.body) for s in current.sections.all()]
    assert consent_draft_create(language="en", created_by=admin_user) == draft


def test_publishing_with_an_empty_required_section_is_refused_with_a_message_naming_it(admin_user):
    draft = consent_draft_create(language="en", created_by=admin_user)
    ConsentSection.objects.filter(version=draft, key="insurance").update(body="   ")
    with pytest.raises(ValidationError) as refused, translation.override("en"):
        consent_version_publish(version=draft, actor=admin_user)
    message = " ".join(refused.value.messages)
    assert "Cannot publish" in message and "Insurance" in message
    draft.refresh_from_db()
    assert not draft.is_published
    assert consent_version_in_force(language="en").number == 1


def test_publishing_a_complete_draft_makes_it_the_version_in_force_and_is_audited(admin_user):
    draft = consent_draft_create(language="en", created_by=admin_user)
    consent_version_publish(version=draft, actor=admin_user)
    assert consent_version_in_force(language="en") == draft
    assert consent_version_in_force(language="id").number == 1
    entry = AuditEntry.objects.filter(action="consent.version_published").last()
    assert entry.actor_id == admin_user.pk and entry.target_id == str(draft.pk)
    assert len(entry.detail["text_sha256"]) == 64


def test_a_version_with_a_future_effective_date_does_not_replace_the_one_in_force_yet(admin_user):
    from datetime import timedelta

    from counseling.clock import now

    draft = consent_draft_create(language="en", created_by=admin_user)
    sections = {s.key: {"title": s.title, "body": s.body} for s in draft.sections.all()}
    consent_draft_update(version=draft, sections=sections, effective_at=now() + timedelta(days=7),
                         change_summary="Next week", actor=admin_user)
    consent_version_publish(version=draft, actor=admin_user)
    assert consent_version_in_force(language="en").number == 1
    assert consent_version_in_force(language="en", at=now() + timedelta(days=8)) == draft


def test_a_published_version_cannot_be_changed_or_deleted_in_any_way():
    version = consent_version_in_force(language="id")
    section = version.sections.first()
    version.change_summary = "sneaky"
    with pytest.raises(ImmutableConsentError):
        version.save()
    with pytest.raises(ImmutableConsentError):
        ConsentVersion.objects.filter(pk=version.pk).update(change_summary="sneaky")
    with pytest.raises(ImmutableConsentError):
        version.delete()
    section.body = "changed"
    with pytest.raises(ImmutableConsentError):
        section.save()
    with pytest.raises(ImmutableConsentError):
        ConsentSection.objects.filter(pk=section.pk).update(body="changed")
    with pytest.raises(ImmutableConsentError):
        section.delete()
    with pytest.raises(ValidationError):
        ConsentSection.objects.create(version=version, key="insurance", title="x", body="y")
    assert ConsentSection.objects.get(pk=section.pk).body != "changed"


def test_editing_a_published_version_through_the_service_is_refused(admin_user):
    version = consent_version_in_force(language="id")
    with pytest.raises(ValidationError):
        consent_draft_update(version=version, sections={}, effective_at=version.effective_at, change_summary="",
                             actor=admin_user)
