"""Consent version 4 (consent/migrations/0005_publish_consent_version_4_calls): video and voice sessions, never
recorded, and their risks, in both languages; a client who accepted version 3 accepts again before a session."""

import pytest

from consent.default_text import VERSION_3, VERSION_4
from consent.models import ELEMENT_KEYS, ConsentVersion
from consent.rendering import consent_render
from consent.selectors import consent_gate, consent_version_in_force
from consent.services import consent_accept
from tests.consent.conftest import accept_current

pytestmark = pytest.mark.django_db

# What each language's version 4 must say (issue 18): not recorded, the risks, the fallback to chat.
MUST_SAY = {
    "en": {
        "confidentiality_limits": ["Video and voice are never recorded by us", "no recording feature"],
        "risks_benefits": [
            "Someone else in the room or nearby may see or hear the session",
            "could capture the screen or record the call",
            "A weak network can freeze or cut off a call",
        ],
        "technology_failure": ["the session goes on in its chat"],
    },
    "id": {
        "confidentiality_limits": ["Video dan suara tidak pernah kami rekam", "tidak memiliki fitur perekaman"],
        "risks_benefits": [
            "Orang lain di ruangan atau di dekat Anda mungkin dapat melihat atau mendengar sesi",
            "dapat merekam layar atau merekam panggilan",
            "Jaringan yang lemah dapat membuat panggilan tersendat atau terputus",
        ],
        "technology_failure": ["sesi berlanjut di obrolan sesi itu"],
    },
}


def _version_3(language: str) -> ConsentVersion:
    return ConsentVersion.objects.get(language=language, change_summary=VERSION_3[language]["change_summary"])


@pytest.mark.parametrize("language", ["en", "id"])
def test_version_4_is_in_force_and_says_calls_are_not_recorded_and_names_their_risks(language):
    version = consent_version_in_force(language=language)
    assert version.number == 4 and version.change_summary == VERSION_4[language]["change_summary"]
    sections = {section.key: section.body for section in version.sections.all()}
    assert list(sections) == ELEMENT_KEYS
    for key, phrases in MUST_SAY[language].items():
        for phrase in phrases:
            assert phrase in sections[key], (key, phrase)


@pytest.mark.parametrize("language", ["en", "id"])
def test_version_4_is_version_3_with_a_paragraph_added_to_three_sections(language):
    before = {section.key: section for section in _version_3(language).sections.all()}
    after = {section.key: section for section in consent_version_in_force(language=language).sections.all()}
    appended = VERSION_4[language]["appended"]
    assert set(appended) == {"risks_benefits", "technology_failure", "confidentiality_limits"}
    for key in ELEMENT_KEYS:
        assert after[key].title == before[key].title
        if key in appended:
            assert after[key].body == before[key].body + "\n" + appended[key]
        else:
            assert after[key].body == before[key].body, key


def test_a_client_who_accepted_version_3_must_accept_version_4_before_a_session(client_a, counselor_a, monkeypatch):
    third = _version_3("id")
    with monkeypatch.context() as before_version_4:  # accepted while version 3 was the one in force
        before_version_4.setattr("consent.services.consent_version_in_force", lambda **kwargs: third)
        consent_accept(
            client=client_a,
            version=third,
            counselor=counselor_a,
            shown_sha256=consent_render(version=third, counselor=counselor_a).sha256,
            acknowledged=list(ELEMENT_KEYS),
        )
    stale = consent_gate(client=client_a, counselor=counselor_a)
    assert not stale and stale.reason == "consent_outdated"

    accept_current(client_a, counselor=counselor_a)
    assert consent_gate(client=client_a, counselor=counselor_a)
