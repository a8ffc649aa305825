"""Every Indonesian string follows docs/glossary-id.md: none of its "never" words appears."""

import re
from pathlib import Path

import polib
import pytest

from consent.default_text import VERSION_2
from consent.selectors import consent_version_in_force

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "locale" / "id" / "LC_MESSAGES" / "django.po"


def _never_words() -> list[str]:
    words = []
    for line in (ROOT / "docs" / "glossary-id.md").read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[2] not in ("never", "---"):
            words += re.findall(r"`([^`]+)`", cells[2])
    return words


NEVER = _never_words()


def _offending(text: str) -> list[str]:
    return [word for word in NEVER if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text)]


def test_the_glossary_names_the_old_variants_the_review_found():
    for word in (
        "kata sandi rahasia",
        "kata sandi pengenal",
        "piket",
        "lisensi",
        "e-mail",
        "tahan manipulasi",
        "penahanan",
        "SEJIWA",
        "ekst.",
        "Bantuan sedang dalam perjalanan",
        "dalam Bahasa Indonesia",
    ):
        assert word in NEVER, word


def test_the_check_flags_an_old_variant_and_passes_the_glossary_word():
    assert _offending("Masukkan kata sandi rahasia Anda.") == ["kata sandi rahasia"]
    assert _offending("Hubungi 119 ekst. 8") == ["ekst."]
    assert _offending("Masukkan kode pengenal Anda, bukan kata sandi akun Anda.") == []
    assert _offending("Terima kasih, konselor jaga sudah diberi tahu.") == []


def test_the_catalogue_declares_its_language_and_no_fuzzy_header():
    catalogue = polib.pofile(str(CATALOGUE))
    assert catalogue.metadata["Language"] == "id"
    assert not catalogue.metadata_is_fuzzy


def test_no_indonesian_string_in_the_catalogue_uses_an_old_variant():
    found = []
    for entry in polib.pofile(str(CATALOGUE)):
        for text in [entry.msgstr, *entry.msgstr_plural.values()]:
            if words := _offending(text):
                found.append((entry.msgid[:60], words))
    assert found == []


def test_the_indonesian_consent_text_follows_the_glossary():
    texts = [body for _title, body in VERSION_2["id"]["sections"].values()]
    assert [(_offending(text)) for text in texts if _offending(text)] == []


@pytest.mark.django_db
def test_the_indonesian_consent_in_force_follows_the_glossary():
    version = consent_version_in_force(language="id")
    found = {section.key: _offending(section.title + " " + section.body) for section in version.sections.all()}
    assert {key: words for key, words in found.items() if words} == {}
