"""Risk phrases: matched in Bahasa Indonesia and English on normalised text, whole words only.

Indonesian words meet in their root form (affixes off), so a phrase kept once in its plain form
("sayat tangan") meets the forms people in crisis write ("nyayat tanganku").
"""

import pytest

from crisis.models import RiskPhrase, Severity
from crisis.risk import DEFAULT_RISK_PHRASES, indonesian_root, normalise, risk_match


@pytest.mark.parametrize(
    "text, phrase",
    [
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
    ],
)
def test_risk_phrases_match_in_both_languages_with_variants(db, text, phrase):
    match = risk_match(text)
    if phrase is None:
        assert match is None
    else:
        assert match is not None and normalise(match.phrase) == normalise(phrase), (text, match)


@pytest.mark.parametrize(
    "text",
    [
        "Aku ingin matikan lampu lalu tidur.",  # "mati" inside "matikan"
        "Film tentang pembunuhan dirinya tokoh itu seru",  # "bunuh" inside "pembunuhan"
        "I want to diet before the wedding.",  # "die" inside "diet"
        "The skill myself and others need is patience.",  # "kill myself" across "skill"
        "Suicidesquad is a movie title",  # no word boundary
        "Saya sudah makan dan minum teh.",
        "",
    ],
)
def test_harmless_sentences_with_a_risk_word_inside_another_word_do_not_match(db, text):
    assert risk_match(text) is None


@pytest.mark.parametrize(
    "text, phrase",
    [
        # cutting: "sayat" (slash) with its prefixes, suffixes, clitics and reduplication
        ("Aku menyayat tanganku lagi", "sayat tangan"),
        ("pengen nyayat tangan biar lega", "sayat tangan"),
        ("udah disayat tangan sendiri", "sayat tangan"),
        ("nyayatin tangan terus", "sayat tangan"),
        ("sayat-sayat tangan", "sayat tangan"),
        ("sayat2 tangan", "sayat tangan"),
        # cutting with a razor blade: "nyilet", from "silet"; people also drop the prefix
        ("aku nyilet lagi semalam", "nyilet"),
        ("kepikiran menyilet", "nyilet"),
        ("udah disilet juga", "nyilet"),
        ("nyiletin aja", "nyilet"),
        ("aku silet lagi", "nyilet"),
        # "just die"
        ("Mati saja rasanya lebih tenang", "mati saja"),
        ("mati aja lah aku", "mati saja"),
        ("mending mati ajaaa", "mati saja"),
        ("pengen mati aja", "ingin mati"),
        # clitics and prefixes on the older phrases
        ("bunuh dirinya?", "bunuh diri"),
        ("kepikiran mengakhiri hidupnya", "mengakhiri hidup"),
        ("membunuh diriku sendiri", "bunuh diri"),
        ("kemarin hampir menggantung diri", "gantung diri"),
        ("aku sering nyakitin diri sendiri", "menyakiti diri sendiri"),
        ("ngelukain diri lagi", "melukai diri"),
        ("mau meminum racun", "minum racun"),
        ("I keep hurtin myself", "hurt myself"),
    ],
)
def test_affixed_and_colloquial_indonesian_forms_meet_the_plain_phrase(db, text, phrase):
    match = risk_match(text)
    assert match is not None and normalise(match.phrase) == normalise(phrase), (text, match)


@pytest.mark.parametrize(
    "text",
    [
        # "mati" (dead, off) and "hidup" (alive, on) about things
        "Lampu mati dari tadi malam.",
        "hp saya mati, nanti saya kabari",
        "Tadi ada mati lampu, jadi telat",
        "Mati listrik lagi di rumah",
        "Tolong matikan kamera sebentar",
        "Aku mau matiin hp dulu ya",
        "Nanti aku hidupin lagi laptopnya",
        "Akhirnya hidupku terasa lebih tenang",
        # words that start with ny-, me-, ber-, ter- or end in -nya without being a risk root
        "Saya menyanyi di gereja tiap Minggu.",
        "Sekarang saya sudah lebih nyaman bicara",
        "Itu nyata banget rasanya",
        "Dia menyayangi anaknya",
        "Film itu sangat menyayat hati",
        "Saya punya dua adik",
        "Sepertinya aku butuh istirahat",
        # derived words of a risk root that mean something everyday
        "Semua tergantung diri kita sendiri",
        "Aku nggak mau bergantung pada orang tua",
        "Dia menggantungkan baju di lemari",
        "Saya berdiri di depan rumah",
        "Tim ini terdiri dari lima orang",
        "Kami mendirikan usaha kecil tahun lalu",
        "Lukanya sudah ditangani dokter",
        # "saja" and "capek" in ordinary sentences
        "Boleh saya tanya sesuatu?",
        "Tanya saja ke dia",
        "Saya capek kerja minggu ini",
        "Saya mau makan saja dulu",
        "Saya mau tidur saja",
        "Menurutku itu baik-baik saja",
        "Saya sudah minum obat dari dokter",
        "Pelan-pelan, hati-hati di jalan",
        # English figures of speech
        "I could kill for a coffee",
        "My phone died during the call",
        "This workout is killing me, haha",
        "I'm dying to see the new film",
        "Let's end the session a bit early today",
        "I hurt my knee playing football",
        "I need to take my own car tomorrow",
        "Life is better now, thanks",
    ],
)
def test_everyday_chat_raises_no_alert(db, text):
    assert risk_match(text) is None, normalise(text)


def test_english_phrase_words_are_left_as_they_are():
    words = {word for phrase in DEFAULT_RISK_PHRASES["en"] for word in phrase.split()}
    assert {word: indonesian_root(word) for word in words} == {word: word for word in words}


def test_short_words_keep_every_letter_and_five_letters_can_lose_an_affix():
    # Nothing comes off a word of four letters or fewer (a root keeps four): indonesian_root returns it at once.
    short = ["mati", "diri", "nyaa", "diku", "meny", "mama", "ter", "ku", "a", ""]
    assert {word: indonesian_root(word) for word in short} == {word: word for word in short}
    assert indonesian_root("nyayat") == "sayat" and indonesian_root("nyaya") == "saya"


def test_admins_edit_the_phrase_lists(db):
    if not RiskPhrase.objects.exists():  # a transactional test before this one flushed the seeded rows
        RiskPhrase.objects.bulk_create(
            RiskPhrase(language=lang, phrase=p) for lang, phrases in DEFAULT_RISK_PHRASES.items() for p in phrases
        )
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

    seeded: dict[str, list[str]] = {}
    for name in ("0003_escalation_retention", "0004_risk_phrase_forms"):
        migration = importlib.import_module(f"counseling.migrations.{name}")
        for language, phrases in migration.RISK_PHRASES.items():
            seeded.setdefault(language, []).extend(phrases)
    assert seeded == DEFAULT_RISK_PHRASES
