"""Consent as structured, versioned data: every required element, publishing rules, immutability."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from consent.default_text import DEFAULT_CONSENT
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


def test_version_4_is_in_force_in_both_languages_and_version_1_stays_as_it_was_accepted():
    for language in ("en", "id"):
        versions = ConsentVersion.objects.filter(language=language).order_by("number")
        assert [(v.number, v.status) for v in versions] == [(n, "published") for n in (1, 2, 3, 4)]
        assert consent_version_in_force(language=language).number == 4
        first = versions[0].sections.get(key="emergencies").body
        assert first == DEFAULT_CONSENT[language]["sections"]["emergencies"][1]


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_emergency_section_does_not_present_112_as_enough_and_lists_110_119_113_first(language):
    emergencies = consent_version_in_force(language=language).sections.get(key="emergencies").body
    first_paragraph = emergencies.split("\n")[0]
    assert first_paragraph.index("110") < first_paragraph.index("112")
    for number in ("110", "119", "113", "Healing119"):
        assert number in first_paragraph
    assert {"en": "not yet available everywhere", "id": "belum tersedia di semua daerah"}[language] in emergencies
    assert {"en": "119, then press 8", "id": "119, lalu tekan 8"}[language] in emergencies
    assert "SEJIWA" not in emergencies and "nasional" not in emergencies
    assert "nomor darurat Indonesia" not in emergencies


def test_the_indonesian_version_2_says_what_the_english_says():
    sections = {s.key: s.body for s in consent_version_in_force(language="id").sections.all()}
    text = " ".join(sections.values())
    assert "tidak dipantau sepanjang waktu" in sections["response_times"]
    assert "yang dapat mencakup menghubungi" in sections["technology_failure"]
    assert "5 menit" in sections["technology_failure"]
    assert "Kunci itu disimpan oleh platform" in sections["confidentiality_limits"]
    assert "dapat terdeteksi" in sections["records_access"]
    assert "penangguhan pemusnahan" in sections["retention"]
    assert "kode pengenal" in sections["identity_location"]
    assert "bukan kata sandi akun Anda" in sections["identity_location"]
    for wrong in (
        "selama 24 jam",
        "termasuk menghubungi",
        "kunci milik Anda sendiri",
        "tahan manipulasi",
        "penahanan",
        "kata sandi rahasia",
        "konselor piket",
    ):
        assert wrong not in text, wrong


def test_the_consent_and_the_intakes_default_connection_plan_promise_the_same_reconnection_window():
    import re

    from identity.forms import IntakeForm

    with translation.override("en"):
        minutes = re.search(r"reconnect for (\d+) minutes", str(IntakeForm.base_fields["connection_drop_plan"].initial))
    assert minutes is not None
    en = consent_version_in_force(language="en").sections.get(key="technology_failure").body
    id_ = consent_version_in_force(language="id").sections.get(key="technology_failure").body
    assert f"within {minutes[1]} minutes" in en and f"dalam {minutes[1]} menit" in id_


def test_the_required_elements_cover_the_distance_counseling_checklist():
    for key in [
        "counselor",
        "risks_benefits",
        "technology_failure",
        "response_times",
        "emergencies",
        "differences",
        "insurance",
        "social_media",
        "records_access",
        "face_to_face",
        "confidentiality_limits",
        "jurisdiction",
        "retention",
    ]:
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
    assert consent_version_in_force(language="en").number == 4


def test_publishing_a_complete_draft_makes_it_the_version_in_force_and_is_audited(admin_user):
    draft = consent_draft_create(language="en", created_by=admin_user)
    consent_version_publish(version=draft, actor=admin_user)
    assert consent_version_in_force(language="en") == draft
    assert consent_version_in_force(language="id").number == 4
    entry = AuditEntry.objects.filter(action="consent.version_published").last()
    assert entry.actor_id == admin_user.pk and entry.target_id == str(draft.pk)
    assert len(entry.detail["text_sha256"]) == 64


def test_a_version_with_a_future_effective_date_does_not_replace_the_one_in_force_yet(admin_user):
    from datetime import timedelta

    from counseling.clock import now

    draft = consent_draft_create(language="en", created_by=admin_user)
    sections = {s.key: {"title": s.title, "body": s.body} for s in draft.sections.all()}
    consent_draft_update(
        version=draft,
        sections=sections,
        effective_at=now() + timedelta(days=7),
        change_summary="Next week",
        actor=admin_user,
    )
    consent_version_publish(version=draft, actor=admin_user)
    assert consent_version_in_force(language="en").number == 4
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
        consent_draft_update(
            version=version, sections={}, effective_at=version.effective_at, change_summary="", actor=admin_user
        )
