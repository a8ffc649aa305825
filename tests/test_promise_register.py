"""The promise register (consent.promises): every promise a client reads is kept by a named function and proved by
a named test, and every sentence of the published texts that promises something is in the register.

Where the published texts are read from, as a client reads them:
- the consent: the version in force in each language (consent_version_in_force), rendered as the onboarding page
  renders it before a counselor is chosen (consent_render), so the generic disclosure is read too;
- the transparency page: GET in each language (the language cookie), the text of its <main>;
- the client's e-mails: the session e-mail template for each event, the answers to an erasure request, and the
  breach notice drafts (incidents.notice_text), each rendered in each language.

When the completeness test fails it prints the sentences that promise and are not registered: add a Promise to
consent/promises.py (with its keeper and its proving test), or, if the sentence promises nothing, add it to
NOT_PROMISES with the reason. Then regenerate docs/promises.md: `python manage.py promises_page`.
"""

from __future__ import annotations

import ast
import html
import importlib
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from consent.promises import NOT_PROMISES, PROMISE_WORDS, PROMISES, promises_markdown, sentences
from consent.rendering import consent_render
from consent.selectors import consent_version_in_force
from incidents.notice_text import CLIENT_NOTICE
from records.models import ErasureRequest
from records.services import erasure_answer_text

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = [code for code, _name in settings.LANGUAGES]
SESSION_EVENTS = ("booked", "cancelled", "rescheduled", "reminder", "requested", "accepted", "declined", "expired")
EMAILS = ("sessions/session_email.txt", "records.services.erasure_answer_text", "incidents.notice_text.CLIENT_NOTICE")


def _page_text(page: str) -> str:
    """The words of the page's <main>, one line per paragraph or list item."""
    main = page.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    main = re.sub(r"<(script|style)\b.*?</\1>", " ", main, flags=re.S)
    main = re.sub(r"<(p|li|h\d|section|ul|ol|div|nav|br|dt|dd)\b[^>]*>", "\n", main)
    text = html.unescape(re.sub(r"<[^>]+>", " ", main))
    return "\n".join(" ".join(line.split()) for line in text.split("\n") if line.strip())


def _consent(language: str) -> dict[str, str]:
    version = consent_version_in_force(language=language)
    assert version is not None, language
    return {section.key: section.body for section in consent_render(version=version).sections}


def _transparency(client, language: str) -> str:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get("/consent/transparency/")
    assert response.status_code == 200
    return _page_text(response.content.decode())


def _session_email(language: str, event: str) -> str:
    start = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    times = {
        "mine_start": start,
        "mine_end": start,
        "mine_zone": "Asia/Jakarta",
        "theirs_start": start,
        "theirs_end": start,
        "theirs_zone": "America/Chicago",
    }
    prompt = {"opens": start, "link": "https://example.test/l"} if event != "cancelled" else None
    with translation.override(language):
        return render_to_string(
            "sessions/session_email.txt",
            {
                "event": event,
                "times": times,
                "other_name": "Sari",
                "link": "https://example.test/s",
                "location_confirmation": prompt,
            },
        )


def _erasure_answers(language: str) -> str:
    answers = []
    for decision, keep_until, rule in (
        (ErasureRequest.Decision.ERASE_NOW, None, ""),
        (ErasureRequest.Decision.KEEP_UNTIL, datetime(2033, 1, 1).date(), "APA: 7 years"),
        (ErasureRequest.Decision.KEEP_UNTIL, None, "legal hold"),
        (ErasureRequest.Decision.PENDING, None, ""),
    ):
        with translation.override(language):
            answers.append(erasure_answer_text(ErasureRequest(decision=decision, keep_until=keep_until, rule=rule)))
    return "\n".join(answers)


def _breach_notice(language: str) -> str:
    template = CLIENT_NOTICE[language]
    blanks = dict.fromkeys(("summary", "when", "data", "measures", "steps", "contact"), "")
    return "\n".join([template["subject"], template["body"].format(**blanks)])


@pytest.fixture
def published(client) -> dict[tuple, dict[str, str]]:
    """Every published text by its source (as consent.promises names sources) and language."""
    texts: dict[tuple, dict[str, str]] = {}
    for language in LANGUAGES:
        for key, body in _consent(language).items():
            texts.setdefault(("consent", key), {})[language] = body
        texts.setdefault(("transparency",), {})[language] = _transparency(client, language)
        texts.setdefault(("email", EMAILS[0]), {})[language] = "\n".join(
            _session_email(language, event) for event in SESSION_EVENTS
        )
        texts.setdefault(("email", EMAILS[1]), {})[language] = _erasure_answers(language)
        texts.setdefault(("email", EMAILS[2]), {})[language] = _breach_notice(language)
    return texts


def _normal(text: str) -> str:
    return " ".join(text.split())


# --- 1. Every keeper is a function, every proof a test ------------------------------------------------------


def _resolve(dotted: str):
    module_path, _dot, name = dotted.rpartition(".")
    module = importlib.import_module(module_path)
    return getattr(module, name)


@pytest.mark.parametrize("promise", PROMISES, ids=lambda p: p.id)
def test_every_keeper_resolves_to_a_function(promise):
    assert callable(_resolve(promise.keeper)), promise.keeper


def _test_functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_")
    }


@pytest.mark.parametrize("promise", PROMISES, ids=lambda p: p.id)
def test_every_proof_names_a_test_that_exists(promise):
    for proof in promise.proofs:
        path, _sep, name = proof.partition("::")
        assert (ROOT / path).is_file(), f"{promise.id}: no file {path}"
        assert name in _test_functions(ROOT / path), f"{promise.id}: no test {name} in {path}"


def test_ids_are_unique_and_every_promise_names_a_source_and_a_marker_in_each_language():
    ids = [promise.id for promise in PROMISES]
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]
    for promise in PROMISES:
        assert promise.sources and promise.statement, promise.id
        assert set(promise.markers) == set(LANGUAGES), promise.id
        assert all(promise.markers[language] for language in LANGUAGES), promise.id


# --- 2. Every marker is in the published text it names --------------------------------------------------------


def test_every_marker_is_in_the_published_text_it_names(published):
    missing = []
    for promise in PROMISES:
        for language in LANGUAGES:
            where = [_normal(published[source][language]) for source in promise.sources]
            for marker in promise.markers[language]:
                if not any(marker in text for text in where):
                    missing.append(f"{promise.id} [{language}] {marker!r} not in {promise.sources}")
    assert not missing, "\n".join(missing)


def test_the_checker_notices_a_marker_that_is_not_published(published):
    texts = [_normal(body) for body in published[("consent", "retention")].values()]
    assert not any("we keep your records forever" in text for text in texts)


# --- 3. Completeness: every sentence that promises is registered ---------------------------------------------


def _uncovered(published) -> list[str]:
    markers = [marker for promise in PROMISES for language in LANGUAGES for marker in promise.markers[language]]
    excused = [sentence for sentence, _reason in NOT_PROMISES]
    left = []
    for source, by_language in published.items():
        for language, text in by_language.items():
            for sentence in sentences(text):
                if not PROMISE_WORDS[language].search(sentence):
                    continue
                if any(marker in sentence for marker in markers) or any(part in sentence for part in excused):
                    continue
                left.append(f"{source} [{language}] {sentence}")
    left = list(dict.fromkeys(left))
    return left


def test_every_sentence_that_promises_is_registered_or_excused(published):
    left = _uncovered(published)
    assert not left, "Sentences that promise and are not in consent/promises.py:\n" + "\n".join(left)


def test_every_excuse_is_still_published_and_has_a_reason(published):
    every = "\n".join(_normal(text) for by_language in published.values() for text in by_language.values())
    for sentence, reason in NOT_PROMISES:
        assert reason.strip(), sentence
        assert sentence in every, f"NOT_PROMISES lists a sentence no longer published: {sentence!r}"


def test_a_new_promise_in_the_texts_is_caught(published):
    published[("consent", "insurance")]["en"] += "\nWe will always refund a missed session."
    assert _uncovered(published) == ["('consent', 'insurance') [en] We will always refund a missed session."]


# --- The page ---------------------------------------------------------------------------------------------------


def test_the_promises_page_is_generated_from_the_register():
    page = (ROOT / "docs" / "promises.md").read_text(encoding="utf-8")
    assert page == promises_markdown(), "docs/promises.md is stale: run `python manage.py promises_page`"


# --- Proofs written for the register -----------------------------------------------------------------------------


def test_the_texts_state_the_inactivity_minutes_the_settings_give(published):
    """The consent and the transparency page state the minutes after which everyone is signed out; the setting
    that signs them out (counseling.inactivity) is that number. Changing one alone fails here."""
    minutes = settings.INACTIVITY_TIMEOUT_SECONDS // 60
    assert minutes * 60 == settings.INACTIVITY_TIMEOUT_SECONDS
    patterns = {"en": r"after (\d+) minutes without activity", "id": r"setelah (\d+) menit tanpa aktivitas"}
    for source in (("consent", "records_access"), ("transparency",)):
        for language, pattern in patterns.items():
            assert [int(n) for n in re.findall(pattern, _normal(published[source][language]))] == [minutes], (
                source,
                language,
            )


@pytest.mark.parametrize("language, offer", [("en", "receipt"), ("id", "kami dapat memberikan kuitansi")])
def test_the_consent_in_force_offers_no_receipt_the_platform_cannot_issue(db, language, offer):
    """Version 1 offered a receipt for insurers; the platform takes no payments, so version 3 says so instead."""
    text = " ".join(section.body for section in consent_version_in_force(language=language).sections.all())
    assert ("we can give you a receipt" if language == "en" else offer) not in text
    assert ("takes no payments" if language == "en" else "tidak menerima pembayaran") in text
