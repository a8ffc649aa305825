"""Risk phrases: matched in Bahasa Indonesia and English on normalised text, whole words only."""

import pytest

from counseling.escalation import normalise, risk_match
from counseling.models import RiskPhrase, Severity


@pytest.mark.parametrize("text, phrase", [
    # Bahasa Indonesia, with informal spellings, case, punctuation and stretched letters
    ("Aku pengen MATI aja...", "ingin mati"),
    ("aku pgn matiii", "ingin mati"),
    ("Rasanya mau bunuh diri.", "bunuh diri"),
    ("udah mikir bundir dari kemarin", "bundir"),
    ("Aku ingin mengakhiri hidup", "mengakhiri hidup"),
    ("pengen ngakhirin hidup aja", "mengakhiri hidup"),
    ("Gak ingin hidup lagi", "tidak ingin hidup lagi"),
    ("sy pengen b*nuh d1ri", None),  # a masked word is not guessed at
    ("saya mau bunuh d1ri", "bunuh diri"),
    ("Kadang aku melukai diri sendiri", "melukai diri"),
    # English, with contractions, chat spellings and curly apostrophes
    ("I want to kill myself", "kill myself"),
    ("i wanna die", "want to die"),
    ("I WANT TO END MY LIFE!!!", "end my life"),
    ("kms", "kill myself"),
    ("I don\u2019t want to live anymore", "do not want to live"),  # curly apostrophe
    ("I dont want to live", "do not want to live"),
    ("thinking about suicide", "suicide"),
    ("I've been self-harming again, self harm", "self harm"),
])
def test_risk_phrases_match_in_both_languages_with_variants(db, text, phrase):
    match = risk_match(text)
    if phrase is None:
        assert match is None
    else:
        assert match is not None and normalise(match.phrase) == normalise(phrase), (text, match)


@pytest.mark.parametrize("text", [
    "Aku ingin matikan lampu lalu tidur.",  # "mati" inside "matikan"
    "Film tentang pembunuhan dirinya tokoh itu seru",  # "bunuh" inside "pembunuhan"
    "I want to diet before the wedding.",  # "die" inside "diet"
    "The skill myself and others need is patience.",  # "kill myself" across "skill"
    "Suicidesquad is a movie title",  # no word boundary
    "Saya sudah makan dan minum teh.",
    "",
])
def test_harmless_sentences_with_a_risk_word_inside_another_word_do_not_match(db, text):
    assert risk_match(text) is None


def test_admins_edit_the_phrase_lists(db):
    if not RiskPhrase.objects.exists():  # a transactional test before this one flushed the seeded rows
        from counseling.escalation import DEFAULT_RISK_PHRASES

        RiskPhrase.objects.bulk_create(RiskPhrase(language=lang, phrase=p) for lang, phrases
                                       in DEFAULT_RISK_PHRASES.items() for p in phrases)
    RiskPhrase.objects.create(language="id", phrase="tidak kuat lagi", severity=Severity.MEDIUM)
    match = risk_match("Aku udah gak kuat lagi")
    assert match is not None and match.severity == Severity.MEDIUM
    assert risk_match("aku sayat tangan") is not None
    phrase = RiskPhrase.objects.get(phrase="sayat tangan")
    phrase.is_active = False
    phrase.save()  # as the admin's list does; the held list is forgotten at once
    assert risk_match("aku sayat tangan") is None
    phrase.delete()
    RiskPhrase.objects.create(language="id", phrase="sayat tangan", severity=Severity.LOW)
    assert risk_match("aku sayat tangan").severity == Severity.LOW


def test_the_most_severe_phrase_wins(db):
    RiskPhrase.objects.create(language="en", phrase="so tired", severity=Severity.LOW)
    match = risk_match("so tired, I want to die")
    assert match.severity == Severity.HIGH


def test_defaults_apply_when_no_phrase_is_configured_at_all(db):
    RiskPhrase.objects.all().delete()
    assert risk_match("aku ingin mati") is not None
    assert risk_match("I want to end my life") is not None


def test_the_seeded_defaults_are_the_built_in_defaults():
    import importlib

    from counseling.escalation import DEFAULT_RISK_PHRASES

    migration = importlib.import_module("counseling.migrations.0003_escalation_retention")
    assert migration.RISK_PHRASES == DEFAULT_RISK_PHRASES
