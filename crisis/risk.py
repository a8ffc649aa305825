"""Risk phrases: does a client's message suggest danger? Matched on normalised text (Indonesian words
reduced to their root), whole words only. Every client message passes here, so it stays cheap."""

from __future__ import annotations

import re
import time
import unicodedata
from dataclasses import dataclass

from crisis.models import RiskPhrase, Severity

DEFAULT_RISK_PHRASES: dict[str, list[str]] = {
    "id": [
        "bunuh diri",
        "bundir",
        "ingin mati",
        "mengakhiri hidup",
        "akhiri hidupku",
        "lebih baik mati",
        "tidak ingin hidup lagi",
        "capek hidup",
        "menyakiti diri sendiri",
        "melukai diri",
        "sayat tangan",
        "minum racun",
        "gantung diri",
        "loncat dari gedung",
        # cutting with a razor blade ("nyilet", from "silet"), and "just die"
        "silet tangan",
        "nyilet",
        "mati saja",
    ],
    "en": [
        "kill myself",
        "end my life",
        "want to die",
        "suicide",
        "suicidal",
        "take my own life",
        "hurt myself",
        "self harm",
        "better off dead",
        "no reason to live",
        "do not want to live",
        "unalive myself",
        "end it all",
    ],
}

# Common spellings mapped to one form, applied to both the phrase lists and the messages.
_WORD_VARIANTS = {
    # Indonesian: informal "want", "not", "just", and verb forms of "end".
    "pengen": "ingin",
    "pingin": "ingin",
    "pengin": "ingin",
    "pgn": "ingin",
    "mau": "ingin",
    "mo": "ingin",
    "gak": "tidak",
    "ga": "tidak",
    "gk": "tidak",
    "nggak": "tidak",
    "ngga": "tidak",
    "enggak": "tidak",
    "engga": "tidak",
    "tdk": "tidak",
    "tak": "tidak",
    "aja": "saja",
    "sj": "saja",
    "mengakhiri": "akhiri",
    "ngakhirin": "akhiri",
    "ngakhiri": "akhiri",
    "mengakhirkan": "akhiri",
    "akhirin": "akhiri",
    "bundir": "bunuh diri",
    "capai": "capek",
    "cape": "capek",
    "lelah": "capek",
    "diriku": "diri",
    "sndiri": "sendiri",
    # English: contractions and chat spellings.
    "wanna": "want to",
    "dont": "do not",
    "kms": "kill myself",
    "im": "i am",
    "myslef": "myself",
    "selfharm": "self harm",
    "suicde": "suicide",
}
_LEET = str.maketrans({"4": "a", "@": "a", "3": "e", "1": "i", "0": "o", "$": "s", "5": "s"})
_NOT_LETTERS = re.compile(r"[^a-z]+")
_STRETCHED = re.compile(r"(.)\1{2,}|(.)\2+\b")  # "matiii", "ajaa"; a double inside a word waits for the root
_DOUBLED = re.compile(r"(.)\1+")


def _fold(word: str) -> str:
    return _DOUBLED.sub(r"\1", word)  # "kill" -> "kil", "tangannya" -> "tanganya" (both sides alike)


# The variant table keyed by the spelling as written and by its letter-folded spelling ("engga" -> "enga").
_VARIANTS = {
    key: " ".join(_fold(part) for part in value.split())
    for word, value in _WORD_VARIANTS.items()
    for key in (word, _fold(word))
}


def normalise(text: str) -> str:
    """Lower case, no accents or punctuation, one spelling per word, Indonesian affixes off, letters folded.

    Applied to phrases and messages alike, so "Pengen MATIII..." and "ingin mati" meet, and so do
    "nyayat tanganku" and "sayat tangan".
    """
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    text = text.replace("'", "").replace("`", "")  # don't -> dont (a curly apostrophe is already gone)
    text = _NOT_LETTERS.sub(" ", text.translate(_LEET))
    text = _STRETCHED.sub(r"\1\2", text)
    words = []
    # Folded once for the whole text (a regex per word would double the cost of every message).
    for word, folded in zip(text.split(), _fold(text).split(), strict=True):
        variant = _VARIANTS.get(word) or _VARIANTS.get(folded)
        if variant is None:
            root = indonesian_root(word)
            root = folded if root == word else _fold(root)
            variant = _VARIANTS.get(root, root)  # "lelahnya" -> "lelah" -> "capek"
        words.append(variant)
    return " ".join(words)


_MIN_ROOT = 4  # letters a root keeps: "diri" is not di- + "ri", "punya" not "pu" + -nya
_VOWELS = frozenset("aeiou")
# Roots whose derived words are everyday words with another meaning: on these, -kan, -in, -i, ter- and
# ber- stay. matikan/matiin: switch off; hidupkan/hidupin: switch on; gantungkan: rely on, and
# tergantung/bergantung: depend on ("tergantung diri kita"); berdiri: stand, terdiri: consist of,
# dirikan: found; tangani: handle.
_DERIVED_MEANS_ELSE = frozenset({"mati", "hidup", "gantung", "diri", "tangan"})


def indonesian_root(word: str) -> str:
    """The root of an affixed Indonesian word ("menyayat", "nyayat", "disayat" -> "sayat"), else the word.

    Why: people in crisis write colloquial, affixed Indonesian ("nyilet lagi", "pengen nyayat tanganku"),
    so a phrase kept once in its plain form has to meet those forms. Phrases and messages both go
    through this, so a wrong root costs nothing unless it lands on a risk word; hence it is blunt and
    cautious rather than clever: no dictionary, at most one clitic, one prefix and one suffix, at least
    _MIN_ROOT letters left, -i only after a prefix ("mati", "diri", "lagi" end in i), and the everyday
    verbs of _DERIVED_MEANS_ELSE kept whole. No English risk word carries these affixes, so English
    comes through unchanged. Reduplication ("sayat-sayat", "sayat2") needs nothing here: the hyphen
    and the digit already split the words.
    - clitics -nya, -ku, -mu: "dirinya", "tanganku", "hidupmu";
    - prefixes: meny- and colloquial ny- give back the s they replace ("menyayat", "nyilet"), meng-,
      mem-/men- before a consonant ("membunuh"), me- ("melukai", "meminum"), colloquial nge-
      ("ngebunuh"), di-, ter-, ber-;
    - suffixes: -kan, colloquial -in, and -i after a prefix ("menyakiti", "nyakitin" -> "sakit").
    """
    if len(word) <= _MIN_ROOT:  # nothing can come off and leave _MIN_ROOT letters (most words of a chat)
        return word
    for clitic in ("nya", "ku", "mu"):
        if word.endswith(clitic) and len(word) - len(clitic) >= _MIN_ROOT:
            word = word[: -len(clitic)]
            break
    prefix, stem = _split_prefix(word)
    root = stem
    for suffix in ("kan", "in", "i"):
        if stem.endswith(suffix) and len(stem) - len(suffix) >= _MIN_ROOT and (prefix or suffix != "i"):
            root = stem[: -len(suffix)]
            break
    if root in _DERIVED_MEANS_ELSE:
        return word if prefix in ("ter", "ber") else stem  # "tergantung", "mematikan" -> "matikan"
    return root


def _split_prefix(word: str) -> tuple[str, str]:
    # (prefix, the rest) for the one prefix indonesian_root knows, else ("", word).
    if word.startswith("meny") and word[4:5] in _VOWELS:
        prefix, rest = "meny", "s" + word[4:]
    elif word.startswith("ny") and word[2:3] in _VOWELS:
        prefix, rest = "ny", "s" + word[2:]
    elif word.startswith("meng"):
        prefix, rest = "meng", word[4:]
    elif word.startswith(("mem", "men", "nge")) and word[3:4] not in _VOWELS:
        prefix, rest = word[:3], word[3:]  # "membunuh"; "meminum", "menangis" are me- + a root in m, n
    elif word.startswith(("me", "di")):
        prefix, rest = word[:2], word[2:]
    elif word.startswith(("ter", "ber")):
        prefix, rest = word[:3], word[3:]
    else:
        return "", word
    return (prefix, rest) if len(rest) >= _MIN_ROOT else ("", word)


@dataclass(frozen=True)
class RiskMatch:
    phrase: str
    language: str
    severity: int


_PHRASE_CACHE_SECONDS = 30.0
_phrase_cache: dict[str, tuple[float, list[tuple[str, str, int]]]] = {}


def risk_phrase_list() -> list[tuple[str, str, int]]:
    """(language, normalised phrase, severity) of the active phrases; the built-in defaults if none are
    configured. Held in this process for _PHRASE_CACHE_SECONDS, because every client message is checked:
    an admin's edit applies at once in the process that saved it and within that time everywhere else.

    A migration seeds the defaults into RiskPhrase so admins can edit them; an empty table (never
    configured) falls back to the defaults rather than silently matching nothing.
    """
    cached = _phrase_cache.get("active")
    if cached and cached[0] > time.monotonic():
        return cached[1]
    rows = list(RiskPhrase.objects.values_list("language", "phrase", "severity", "is_active"))
    if rows:
        phrases = [(lang, phrase, severity) for lang, phrase, severity, active in rows if active]
    else:
        phrases = [
            (lang, phrase, Severity.HIGH) for lang, defaults in DEFAULT_RISK_PHRASES.items() for phrase in defaults
        ]
    phrases = [(lang, normalise(phrase), severity) for lang, phrase, severity in phrases]
    _phrase_cache["active"] = (time.monotonic() + _PHRASE_CACHE_SECONDS, phrases)
    return phrases


def risk_phrases_changed(**kwargs) -> None:
    """Forget the held phrase list (RiskPhrase saved or deleted in this process)."""
    _phrase_cache.clear()


def risk_phrases_held() -> list[tuple[str, str, int]] | None:
    """risk_phrase_list if this process holds it now, else None; never reads the database (event loop)."""
    cached = _phrase_cache.get("active")
    return cached[1] if cached and cached[0] > time.monotonic() else None


def risk_match(text: str, phrases: list[tuple[str, str, int]] | None = None) -> RiskMatch | None:
    """The most severe phrase the text contains as whole words (any language), or None."""
    haystack = f" {normalise(text)} "
    best: RiskMatch | None = None
    for language, needle, severity in risk_phrase_list() if phrases is None else phrases:
        if needle and f" {needle} " in haystack and (best is None or severity > best.severity):
            best = RiskMatch(phrase=needle, language=language, severity=severity)
    return best
