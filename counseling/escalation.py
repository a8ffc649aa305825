"""Emergency escalation: signals open an Escalation row, alerts climb a ladder on timers.

The rules (MISSION.md, Emergencies; ACA H.2.a; HHS telebehavioral-health guidance):
- four signals open an escalation: the help button, a risk phrase in a client's message, a client
  message left unanswered past the promised time, a location confirmed with no emergency plan;
- exactly one escalation per signal (Escalation.dedupe_key is unique);
- the counselor is alerted at once in the browser and by e-mail; if nobody acknowledges within N
  minutes the alert climbs to the on-call counselor, then a supervisor; an empty rung alerts the
  admins instead, and the gap shows on the staff dashboard;
- the client sees at once the emergency numbers for the place they confirmed and that a person
  has been alerted. The system assists a person's decision: it never calls emergency services.

Reliability: the Escalation and EscalationAlert rows are the record of truth. Tasks are enqueued
on commit and carry ids only; every step is claimed by a conditional update, so a repeated task
delivery cannot alert twice; the sweep (every minute) re-drives whatever a lost task or a dead
worker left behind. Message text is decrypted only inside `message_risk_check`, never logged.
"""

from __future__ import annotations

import logging
import re
import time
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from counseling import clock
from counseling.audit import audit_record
from counseling.crypto import DecryptionError, open_text, seal
from counseling.identity_selectors import emergency_numbers_for
from counseling.models import (
    Escalation,
    EscalationAlert,
    EscalationEvent,
    EscalationKind,
    EscalationState,
    OnCallShift,
    RiskPhrase,
    Role,
    Rung,
    Severity,
    User,
)
from counseling.notifications import notify_user_now, site_link

log = logging.getLogger(__name__)

LADDER = [Rung.COUNSELOR, Rung.ON_CALL, Rung.SUPERVISOR]
# Signals that come from the client: they see the emergency numbers and that a person was alerted.
CLIENT_FACING = {EscalationKind.HELP_BUTTON, EscalationKind.RISK_PHRASE, EscalationKind.NO_EMERGENCY_PLAN}

# ------------------------------------------------------------------------------------------------
# Risk phrases: matched on normalised text (Indonesian words reduced to their root), whole words only.

DEFAULT_RISK_PHRASES: dict[str, list[str]] = {
    "id": ["bunuh diri", "bundir", "ingin mati", "mengakhiri hidup", "akhiri hidupku", "lebih baik mati",
           "tidak ingin hidup lagi", "capek hidup", "menyakiti diri sendiri", "melukai diri", "sayat tangan",
           "minum racun", "gantung diri", "loncat dari gedung",
           # issue 22: cutting with a razor blade ("nyilet", from "silet"), and "just die"
           "silet tangan", "nyilet", "mati saja"],
    "en": ["kill myself", "end my life", "want to die", "suicide", "suicidal", "take my own life",
           "hurt myself", "self harm", "better off dead", "no reason to live", "do not want to live",
           "unalive myself", "end it all"],
}

# Common spellings mapped to one form, applied to both the phrase lists and the messages.
_WORD_VARIANTS = {
    # Indonesian: informal "want", "not", "just", and verb forms of "end".
    "pengen": "ingin", "pingin": "ingin", "pengin": "ingin", "pgn": "ingin", "mau": "ingin", "mo": "ingin",
    "gak": "tidak", "ga": "tidak", "gk": "tidak", "nggak": "tidak", "ngga": "tidak", "enggak": "tidak",
    "engga": "tidak", "tdk": "tidak", "tak": "tidak", "aja": "saja", "sj": "saja",
    "mengakhiri": "akhiri", "ngakhirin": "akhiri", "ngakhiri": "akhiri", "mengakhirkan": "akhiri",
    "akhirin": "akhiri",
    "bundir": "bunuh diri", "capai": "capek", "cape": "capek", "lelah": "capek",
    "diriku": "diri", "sndiri": "sendiri",
    # English: contractions and chat spellings.
    "wanna": "want to", "dont": "do not", "kms": "kill myself", "im": "i am", "myslef": "myself",
    "selfharm": "self harm", "suicde": "suicide",
}
_LEET = str.maketrans({"4": "a", "@": "a", "3": "e", "1": "i", "0": "o", "$": "s", "5": "s"})
_NOT_LETTERS = re.compile(r"[^a-z]+")
_STRETCHED = re.compile(r"(.)\1{2,}|(.)\2+\b")  # "matiii", "ajaa"; a double inside a word waits for the root
_DOUBLED = re.compile(r"(.)\1+")


def _fold(word: str) -> str:
    return _DOUBLED.sub(r"\1", word)  # "kill" -> "kil", "tangannya" -> "tanganya" (both sides alike)


# The variant table keyed by the spelling as written and by its letter-folded spelling ("engga" -> "enga").
_VARIANTS = {key: " ".join(_fold(part) for part in value.split())
             for word, value in _WORD_VARIANTS.items() for key in (word, _fold(word))}


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
    for clitic in ("nya", "ku", "mu"):
        if word.endswith(clitic) and len(word) - len(clitic) >= _MIN_ROOT:
            word = word[:-len(clitic)]
            break
    prefix, stem = _split_prefix(word)
    root = stem
    for suffix in ("kan", "in", "i"):
        if stem.endswith(suffix) and len(stem) - len(suffix) >= _MIN_ROOT and (prefix or suffix != "i"):
            root = stem[:-len(suffix)]
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
        phrases = [(lang, phrase, Severity.HIGH) for lang, defaults in DEFAULT_RISK_PHRASES.items()
                   for phrase in defaults]
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
    for language, needle, severity in (risk_phrase_list() if phrases is None else phrases):
        if needle and f" {needle} " in haystack and (best is None or severity > best.severity):
            best = RiskMatch(phrase=needle, language=language, severity=severity)
    return best


# ------------------------------------------------------------------------------------------------
# Reads


def ack_minutes(severity: int) -> int:
    return {
        Severity.HIGH: settings.ESCALATION_ACK_MINUTES_HIGH,
        Severity.MEDIUM: settings.ESCALATION_ACK_MINUTES_MEDIUM,
    }.get(severity, settings.ESCALATION_ACK_MINUTES_LOW)


def on_call_now(*, role: str, at: datetime | None = None) -> list[User]:
    at = at or clock.now()
    return list(User.objects.filter(on_call_shifts__role=role, on_call_shifts__starts_at__lte=at,
                                    on_call_shifts__ends_at__gt=at, is_active=True).distinct().order_by("pk"))


def roster_gaps(*, at: datetime | None = None) -> list[str]:
    """The roster roles nobody covers right now (shown on the staff dashboard)."""
    at = at or clock.now()
    return [role for role in (OnCallShift.Role.ON_CALL, OnCallShift.Role.SUPERVISOR)
            if not on_call_now(role=role, at=at)]


def confirmed_location(*, client, session=None) -> tuple[str, str]:
    """(country, region) the client last confirmed, preferring the given session; ("", "") if none."""
    from sessions.models import CounselingSession

    if session is not None and session.location_confirmed_at:
        return session.location_country, session.location_region
    latest = (CounselingSession.objects.filter(client=client, location_confirmed_at__isnull=False)
              .order_by("-location_confirmed_at").first())
    return (latest.location_country, latest.location_region) if latest else ("", "")


def emergency_numbers(*, country: str, region: str = "") -> list[dict]:
    """The numbers for a place as sent to open pages: [{label, number, tel, description}].

    From the published table (counseling.identity_selectors.emergency_numbers_for); an unknown place
    gets Indonesia's, the first market. Never a single number (MISSION.md): with fewer than two known,
    "your local emergency number" is added.
    """
    numbers = [resource.as_alert_item()
               for resource in emergency_numbers_for(country=country or "ID", region=region if country else "")]
    if len(numbers) < 2:
        numbers.append({"label": str(_("Elsewhere: your local emergency number")), "number": "", "tel": "",
                        "description": ""})
    return numbers


def counselor_of(*, client, session=None, message=None):
    """The client's counselor: of the session, of the message's conversation, else the latest one."""
    from sessions.models import Conversation, CounselingSession

    if session is not None:
        return session.counselor
    if message is not None:
        return message.conversation.counselor
    latest = CounselingSession.objects.filter(client=client).exclude(state="cancelled").order_by("-starts_at").first()
    if latest:
        return latest.counselor
    conversation = Conversation.objects.filter(client=client).order_by("-created_at").first()
    return conversation.counselor if conversation else None


def may_handle(*, user, escalation: Escalation, at: datetime | None = None) -> bool:
    """Staff who may see and act on an escalation: its counselor, anyone alerted, rostered staff, admins."""
    if not user.is_authenticated or user.role not in (Role.COUNSELOR, Role.ADMIN):
        return False
    if user.role == Role.ADMIN or escalation.counselor_id == user.pk:
        return True
    if escalation.alerts.filter(recipient=user).exists():
        return True
    at = at or clock.now()
    return OnCallShift.objects.filter(user=user, starts_at__lte=at, ends_at__gt=at).exists()


# ------------------------------------------------------------------------------------------------
# Writes


def _event(escalation: Escalation, kind: str, *, at, actor=None, rung: str = "", note: str = "") -> EscalationEvent:
    event = EscalationEvent(escalation=escalation, at=at, kind=kind, actor=actor, rung=rung)
    if note:
        event.note_ref = str(uuid.uuid4())
        event.note_sealed = seal(owner_id=escalation.client_id, plaintext=note, context=event.note_aad)
    event.save()
    return event


def _recipients(escalation: Escalation, rung: str, at) -> tuple[list[User], bool]:
    """Who to alert on a rung, and whether the rung was empty (then the admins stand in)."""
    if rung == Rung.COUNSELOR:
        people = [escalation.counselor] if escalation.counselor_id and escalation.counselor.is_active else []
    elif rung == Rung.ON_CALL:
        people = [u for u in on_call_now(role=OnCallShift.Role.ON_CALL, at=at) if u.pk != escalation.counselor_id]
    elif rung == Rung.SUPERVISOR:
        people = on_call_now(role=OnCallShift.Role.SUPERVISOR, at=at)
    else:
        people = []
    if people:
        return people, False
    admins = list(User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk"))
    return admins, True


def _enter_rung(escalation: Escalation, rung: str, *, at) -> int:
    """Create the alerts of one rung (inside the caller's transaction) and record the step."""
    people, gap = _recipients(escalation, rung, at)
    if gap:
        _event(escalation, "roster_gap", at=at, rung=rung)
        audit_record(actor=None, action="escalation.roster_gap", target=escalation, subject=escalation.client_id,
                     detail={"rung": rung})
    created = 0
    for person in people:
        _alert, made = EscalationAlert.objects.get_or_create(
            escalation=escalation, rung=Rung.ADMIN if gap else rung, recipient=person, defaults={"created_at": at})
        created += made
    _event(escalation, "alerted", at=at, rung=rung)
    audit_record(actor=None, action="escalation.step", target=escalation, subject=escalation.client_id,
                 detail={"rung": rung, "recipients": [p.pk for p in people], "admins_instead": gap})
    return created


def _next_rung(rung: str) -> str | None:
    index = LADDER.index(rung) if rung in LADDER else len(LADDER)
    return LADDER[index + 1] if index + 1 < len(LADDER) else None


def _enqueue(task_name: str, *args, countdown: float | None = None) -> None:
    from counseling import tasks

    task = getattr(tasks, task_name)
    transaction.on_commit(lambda: task.apply_async(args=args, countdown=countdown))


def _tell_client(escalation: Escalation, country: str, region: str) -> None:
    """On commit: the client's open pages show the numbers for their place and that a person is alerted."""
    profile = getattr(escalation.client, "client_profile", None)
    language = profile.preferred_language if profile else settings.LANGUAGE_CODE
    with translation.override(language):
        payload = {
            "type": "escalation.client",
            "id": escalation.pk,
            "title": _("A person has been alerted and will contact you."),
            "body": _("If you are in danger now, call an emergency number. This service does not call "
                      "emergency services for you."),
            "numbers": emergency_numbers(country=country, region=region),
            "url": reverse("escalation:help_sent"),
            "link": _("See the emergency numbers"),
        }
    client_id = escalation.client_id
    transaction.on_commit(lambda: notify_user_now(user_id=client_id, payload=payload))


def escalation_open(*, client, kind: str, severity: int, dedupe_key: str, counselor=None, session=None,
                    message=None, rung: str = Rung.COUNSELOR, at: datetime | None = None,
                    actor=None, request=None) -> tuple[Escalation, bool]:
    """Open the one escalation of a signal, or return the existing one (created=False).

    Alerts the first rung's people (or the admins if the rung is empty), schedules delivery and the
    next rung on commit, and tells the client for the signals that come from them.
    """
    at = at or clock.now()
    existing = Escalation.objects.filter(dedupe_key=dedupe_key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            escalation = Escalation.objects.create(
                client=client, counselor=counselor, session=session, message=message, kind=kind,
                severity=severity, dedupe_key=dedupe_key, rung=rung, created_at=at,
                next_step_at=at + timedelta(minutes=ack_minutes(severity)) if _next_rung(rung) else None)
            _event(escalation, "opened", at=at, actor=actor)
            audit_record(actor=actor, action="escalation.opened", target=escalation, subject=client,
                         request=request, detail={"kind": kind, "severity": int(severity),
                                                  "message_id": getattr(message, "pk", None)})
            if rung != Rung.COUNSELOR and counselor is not None:
                # Cover is alerted, and the counselor is still told about their own client.
                EscalationAlert.objects.get_or_create(escalation=escalation, rung=Rung.COUNSELOR,
                                                      recipient=counselor, defaults={"created_at": at})
            _enter_rung(escalation, rung, at=at)
            if kind in CLIENT_FACING:
                country, region = confirmed_location(client=client, session=session)
                _tell_client(escalation, country, region)
            _enqueue("escalation_deliver", escalation.pk)
            if escalation.next_step_at:
                _enqueue("escalation_advance", escalation.pk,
                         countdown=(escalation.next_step_at - at).total_seconds() + 1)
    except IntegrityError:
        # Another process opened it between our read and our insert: theirs is the one.
        return Escalation.objects.get(dedupe_key=dedupe_key), False
    return escalation, True


def help_request(*, client, session=None, at: datetime | None = None, request=None) -> tuple[Escalation, bool]:
    """The client pressed "I need help now". One live help escalation per client; a press while it is
    live reaches a person again (help_pressed_again), it is never only a line on the timeline."""
    at = at or clock.now()
    for _attempt in range(2):
        escalation, created = escalation_open(
            client=client, kind=EscalationKind.HELP_BUTTON, severity=Severity.HIGH,
            dedupe_key=f"help_button:client:{client.pk}", counselor=counselor_of(client=client, session=session),
            session=session, at=at, actor=client, request=request)
        if created or help_pressed_again(escalation=escalation, session=session, at=at, request=request):
            break
        # Resolved between our look-up and the press: its key is free now, so this press opens a new one.
    return escalation, created


def help_pressed_again(*, escalation: Escalation, session=None, at: datetime | None = None,
                       request=None) -> bool:
    """A further press of the help button on a live help escalation. False if it was resolved meanwhile.

    Every press is counted (one UPDATE, no row). An acknowledged escalation reopens: the ladder
    restarts from its current rung and that rung is alerted again. An open one alerts its current
    rung again at once, then at most once per ESCALATION_REPEAT_ALERT_SECONDS: the conditional update
    of repeat_alerted_at is the claim, so of many simultaneous presses one alerts, and the unique
    (escalation, rung, recipient, press) keeps a round to one row per person.
    """
    at = at or clock.now()
    window = timedelta(seconds=settings.ESCALATION_REPEAT_ALERT_SECONDS)
    with transaction.atomic():
        # Also takes the row's lock (PostgreSQL) until commit, so concurrent presses run one by one below.
        counted = Escalation.objects.filter(pk=escalation.pk).exclude(state=EscalationState.RESOLVED).update(
            presses_again=F("presses_again") + 1)
        if not counted:
            return False
        escalation.refresh_from_db()
        reopened = False
        if escalation.state == EscalationState.ACKNOWLEDGED:
            next_step_at = at + timedelta(minutes=ack_minutes(escalation.severity)) \
                if _next_rung(escalation.rung) else None
            reopened = bool(Escalation.objects.filter(
                pk=escalation.pk, state=EscalationState.ACKNOWLEDGED, rung=escalation.rung).update(
                    state=EscalationState.OPEN, acknowledged_at=None, next_step_at=next_step_at))
            if reopened:
                escalation.refresh_from_db()
                _event(escalation, "reopened", at=at, actor=escalation.client, rung=escalation.rung)
                audit_record(actor=escalation.client, action="escalation.reopened", target=escalation,
                             subject=escalation.client_id, request=request, detail={"rung": escalation.rung})
                if next_step_at:
                    _enqueue("escalation_advance", escalation.pk, countdown=(next_step_at - at).total_seconds() + 1)
        claim = Escalation.objects.filter(pk=escalation.pk, state=EscalationState.OPEN)
        if not reopened:
            # A reopening always alerts: it follows a person's acknowledgement, so it cannot flood.
            claim = claim.filter(Q(repeat_alerted_at__isnull=True) | Q(repeat_alerted_at__lte=at - window))
        if claim.update(repeat_alerted_at=at, repeat_alerts=F("repeat_alerts") + 1):
            escalation.refresh_from_db()
            _alert_again(escalation, at=at, request=request)
        country, region = confirmed_location(client=escalation.client, session=session or escalation.session)
        _tell_client(escalation, country, region)
    return True


def _alert_again(escalation: Escalation, *, at, request=None) -> None:
    """One repeat round (number escalation.repeat_alerts): the current rung's people, and the client's own
    counselor, get a new alert row; delivery goes through the outbox like any alert. The caller won the claim.
    """
    press = escalation.repeat_alerts
    people, gap = _recipients(escalation, escalation.rung, at)
    rows = [(Rung.ADMIN if gap else escalation.rung, person) for person in people]
    counselor = escalation.counselor
    if counselor is not None and counselor.is_active and counselor not in people:
        rows.append((Rung.COUNSELOR, counselor))  # always told about their own client, as at the opening
    for rung, person in rows:
        EscalationAlert.objects.get_or_create(escalation=escalation, rung=rung, recipient=person, press=press,
                                              defaults={"created_at": at})
    _event(escalation, "help_pressed_again", at=at, actor=escalation.client, rung=escalation.rung)
    audit_record(actor=escalation.client, action="escalation.help_pressed_again", target=escalation,
                 subject=escalation.client_id, request=request,
                 detail={"rung": escalation.rung, "press": press, "presses_again": escalation.presses_again,
                         "recipients": [person.pk for _rung, person in rows], "admins_instead": gap})
    _enqueue("escalation_deliver", escalation.pk)


def message_risk_open(*, message, text: str, at: datetime | None = None) -> Escalation | None:
    """Signal 2, checked inside the transaction that stores a client's message (sessions.services.message_post)
    on the text already in memory: the escalation commits with the message or not at all, ordinary
    messages cost no task, and no task, log or layer ever carries the text.

    A failure here must never refuse the message (a person in crisis could not write at all): it is
    logged, and the by-id check (message_risk_check) is queued to run after the commit instead.
    """
    try:
        match = risk_match(text)
        if match is None:
            return None
        with transaction.atomic():  # a savepoint, only for the rare message that matches
            escalation, _created = escalation_open(
                client=message.conversation.client, kind=EscalationKind.RISK_PHRASE, severity=match.severity,
                dedupe_key=f"risk_phrase:message:{message.pk}", counselor=message.conversation.counselor,
                session=message.session, message=message, at=at)
        return escalation
    except Exception:
        log.exception("Risk check of message %s failed beside it; a task checks it after commit", message.pk)
        _enqueue("escalation_check_message", message.pk)
        return None


def message_risk_check(*, message_id: int, at: datetime | None = None) -> Escalation | None:
    """Open a risk escalation if a stored client's message contains a risk phrase. Safe to run twice.

    The plaintext lives only in this function's locals: never in task arguments, logs or audit.
    """
    from sessions.models import Message

    message = Message.objects.select_related("conversation", "session").filter(pk=message_id).first()
    if message is None or message.sender_id != message.conversation.client_id:
        return None
    if Escalation.objects.filter(dedupe_key=f"risk_phrase:message:{message.pk}").exists():
        return None
    try:
        text = open_text(owner_id=message.conversation.client_id, sealed=message.body_sealed, context=message.aad)
    except DecryptionError:
        log.warning("Risk check could not open message %s; not checked", message.pk)
        return None
    match = risk_match(text)
    del text
    if match is None:
        return None
    escalation, _created = escalation_open(
        client=message.conversation.client, kind=EscalationKind.RISK_PHRASE, severity=match.severity,
        dedupe_key=f"risk_phrase:message:{message.pk}", counselor=message.conversation.counselor,
        session=message.session, message=message, at=at)
    return escalation


def overdue_replies_open(*, at: datetime | None = None, limit: int = 200) -> int:
    """Open one escalation per client message left unanswered past its reply_due_at; cover is alerted."""
    from sessions.models import Message

    at = at or clock.now()
    already = Escalation.objects.filter(message=OuterRef("pk"), kind=EscalationKind.REPLY_OVERDUE)
    overdue = (Message.objects.select_related("conversation", "session")
               .filter(reply_due_at__lte=at, awaiting_reply=True)
               .filter(sender=F("conversation__client"))
               .exclude(Exists(already)).order_by("reply_due_at")[:limit])
    opened = 0
    for message in overdue:
        _escalation, created = escalation_open(
            client=message.conversation.client, kind=EscalationKind.REPLY_OVERDUE, severity=Severity.MEDIUM,
            dedupe_key=f"reply_overdue:message:{message.pk}", counselor=message.conversation.counselor,
            session=message.session, message=message, rung=Rung.ON_CALL, at=at)
        opened += created
    return opened


def has_emergency_plan(client) -> bool | None:
    """From the intake (counseling.identity_selectors): True/False; None if that app is not installed."""
    try:
        from counseling.identity_selectors import intake_for
    except ImportError:
        return None
    intake = intake_for(client=client)
    return bool(intake and intake.has_emergency_plan)


def location_confirmed_check(*, session_id: int, at: datetime | None = None) -> Escalation | None:
    """A client confirmed a location for a session but has no emergency plan: alert their counselor."""
    from sessions.models import CounselingSession

    session = CounselingSession.objects.select_related("client", "counselor").filter(pk=session_id).first()
    if session is None or session.location_confirmed_at is None:
        return None
    if has_emergency_plan(session.client) is not False:
        return None
    escalation, _created = escalation_open(
        client=session.client, kind=EscalationKind.NO_EMERGENCY_PLAN, severity=Severity.MEDIUM,
        dedupe_key=f"no_emergency_plan:session:{session.pk}", counselor=session.counselor, session=session, at=at)
    return escalation


def escalation_advance(*, escalation_id: int, at: datetime | None = None) -> bool:
    """Climb one rung if the current one is overdue and nobody acknowledged. Returns whether it climbed.

    The conditional update on (state, rung, next_step_at) is the claim: of two deliveries of the
    same task, or a task and the sweep, only one moves the row, and only that one alerts.
    """
    at = at or clock.now()
    with transaction.atomic():
        escalation = Escalation.objects.select_related("client", "counselor").filter(pk=escalation_id).first()
        if escalation is None or escalation.state != EscalationState.OPEN or escalation.next_step_at is None \
                or escalation.next_step_at > at:
            return False
        rung = _next_rung(escalation.rung)
        if rung is None:
            return False
        following = _next_rung(rung)
        next_step_at = at + timedelta(minutes=ack_minutes(escalation.severity)) if following else None
        won = Escalation.objects.filter(pk=escalation.pk, state=EscalationState.OPEN, rung=escalation.rung,
                                        next_step_at=escalation.next_step_at).update(rung=rung,
                                                                                     next_step_at=next_step_at)
        if not won:
            return False
        escalation.rung, escalation.next_step_at = rung, next_step_at
        _enter_rung(escalation, rung, at=at)
        _enqueue("escalation_deliver", escalation.pk)
        if next_step_at:
            _enqueue("escalation_advance", escalation.pk, countdown=(next_step_at - at).total_seconds() + 1)
    return True


def _hold_for_tests(alert_id: int) -> None:
    # The worker-kill test: pause here (after the claim, before sending) while the hold file exists.
    hold = settings.ESCALATION_TEST_HOLD_FILE
    if not hold:
        return
    path = Path(hold)
    if path.exists():
        Path(f"{hold}.reached").write_text(str(alert_id))
        while path.exists():
            time.sleep(0.1)


def _alert_payload(escalation: Escalation, press: int = 0) -> dict:
    payload = {
        "type": "escalation.alert",
        "id": escalation.pk,
        "severity": escalation.get_severity_display(),
        "level": int(escalation.severity),
        "title": _("Emergency alert: %(kind)s") % {"kind": escalation.get_kind_display()},
        "url": reverse("escalation:detail", args=[escalation.pk]),
        "link": _("Open the alert"),
    }
    if press:
        # A new card beside the first one (alerts.js keys cards by id and press). The pseudonym the
        # counselor already sees everywhere, so the person alerted knows whose press it is at a glance.
        payload["press"] = press
        payload["title"] = _("Help button pressed again by %(name)s") % {"name": escalation.client.display_name}
    return payload


def _alert_email(payload: dict, *, press: int) -> tuple[str, str]:
    """(subject, body) of an alert's e-mail: what happened and a link, never client data (not even the name)."""
    link = site_link(payload["url"])
    if press:
        return (f"[{settings.SITE_NAME}] {_('Help button pressed again')}",
                _("The client pressed the help button again while their emergency alert is still open "
                  "(severity: %(severity)s). Open it and act now: %(link)s\n\nThis e-mail holds no client "
                  "data; sign in to see it.") % {"severity": payload["severity"], "link": link})
    return (f"[{settings.SITE_NAME}] {payload['title']}",
            _("An emergency alert needs a person now (severity: %(severity)s). Open it and "
              "acknowledge it: %(link)s\n\nThis e-mail holds no client data; sign in to see it.")
            % {"severity": payload["severity"], "link": link})


def escalation_deliver(*, escalation_id: int, at: datetime | None = None) -> int:
    """Send every alert of an open escalation not sent yet. Returns how many were sent now. Safe to run twice.

    Each alert is claimed with a lease by conditional update; only the winner sends. Each channel
    (browser, e-mail) is marked as soon as it is done, so a retry never repeats it.
    """
    at = at or clock.now()
    lease = timedelta(seconds=settings.ESCALATION_DELIVERY_LEASE_SECONDS)
    sent = 0
    pending = EscalationAlert.objects.filter(
        escalation_id=escalation_id, escalation__state=EscalationState.OPEN
    ).filter(Q(notified_at__isnull=True) | Q(emailed_at__isnull=True)).select_related(
        "escalation", "escalation__client__client_profile", "recipient")
    for alert in pending:
        won = EscalationAlert.objects.filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lte=at), pk=alert.pk
        ).filter(Q(notified_at__isnull=True) | Q(emailed_at__isnull=True)).update(
            claimed_until=at + lease, attempts=alert.attempts + 1)
        if not won:
            continue
        _hold_for_tests(alert.pk)
        escalation = alert.escalation
        with translation.override(settings.LANGUAGE_CODE):
            payload = _alert_payload(escalation, press=alert.press)
            # Marked only when the layer took it: if Redis is down the sweep tries again after the lease.
            if alert.notified_at is None and notify_user_now(user_id=alert.recipient_id, payload=payload):
                EscalationAlert.objects.filter(pk=alert.pk).update(notified_at=clock.now())
            if alert.emailed_at is None:
                subject, body = _alert_email(payload, press=alert.press)
                send_mail(subject=subject, message=body, from_email=None, recipient_list=[alert.recipient.email],
                          fail_silently=False)
                EscalationAlert.objects.filter(pk=alert.pk).update(emailed_at=clock.now())
        sent += 1
    return sent


def _note_required(note: str) -> str:
    note = (note or "").strip()
    if not note:
        raise ValueError(_("A note is required."))
    return note


def escalation_acknowledge(*, escalation: Escalation, user, note: str, at: datetime | None = None,
                           request=None) -> bool:
    """A person takes the escalation: the ladder stops. Requires a note. False if it was not open."""
    note = _note_required(note)
    at = at or clock.now()
    with transaction.atomic():
        won = Escalation.objects.filter(pk=escalation.pk, state=EscalationState.OPEN).update(
            state=EscalationState.ACKNOWLEDGED, acknowledged_at=at, next_step_at=None)
        if not won:
            return False
        escalation.refresh_from_db()
        _event(escalation, "acknowledged", at=at, actor=user, rung=escalation.rung, note=note)
        audit_record(actor=user, action="escalation.acknowledged", target=escalation, subject=escalation.client_id,
                     request=request)
        profile = getattr(escalation.client, "client_profile", None)
        with translation.override(profile.preferred_language if profile else settings.LANGUAGE_CODE):
            payload = {"type": "escalation.client", "id": escalation.pk,
                       "title": _("A person has seen your request and is responding."),
                       "url": reverse("escalation:help_sent"), "link": _("See the emergency numbers")}
        client_id = escalation.client_id
        transaction.on_commit(lambda: notify_user_now(user_id=client_id, payload=payload))
    return True


def escalation_resolve(*, escalation: Escalation, user, note: str, at: datetime | None = None,
                       request=None) -> bool:
    """Close the escalation with a note. A resolved help escalation frees the client's help key."""
    note = _note_required(note)
    at = at or clock.now()
    with transaction.atomic():
        fields = {"state": EscalationState.RESOLVED, "resolved_at": at, "next_step_at": None}
        if escalation.kind == EscalationKind.HELP_BUTTON:
            fields["dedupe_key"] = f"{escalation.dedupe_key}:resolved:{escalation.pk}"[:96]
        won = Escalation.objects.filter(pk=escalation.pk).exclude(state=EscalationState.RESOLVED).update(**fields)
        if not won:
            return False
        escalation.refresh_from_db()
        _event(escalation, "resolved", at=at, actor=user, note=note)
        audit_record(actor=user, action="escalation.resolved", target=escalation, subject=escalation.client_id,
                     request=request)
    return True


def escalation_sweep(*, at: datetime | None = None) -> dict:
    """Every minute: open missed-reply escalations, climb overdue ladders, re-send undelivered alerts.

    A lost task or a killed worker therefore delays an alert by at most one sweep interval.
    """
    at = at or clock.now()
    result = {"overdue_replies": 0, "advanced": 0, "delivered": 0}
    result["overdue_replies"] = overdue_replies_open(at=at)
    for escalation_id in Escalation.objects.filter(state=EscalationState.OPEN, next_step_at__lte=at) \
            .values_list("pk", flat=True)[:500]:
        try:
            result["advanced"] += escalation_advance(escalation_id=escalation_id, at=at)
        except Exception:
            log.exception("Sweep could not advance escalation %s; next sweep retries", escalation_id)
    undelivered = (EscalationAlert.objects.filter(escalation__state=EscalationState.OPEN)
                   .filter(Q(notified_at__isnull=True) | Q(emailed_at__isnull=True))
                   .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=at))
                   .values_list("escalation_id", flat=True).distinct())
    for escalation_id in list(undelivered)[:500]:
        try:
            result["delivered"] += escalation_deliver(escalation_id=escalation_id, at=at)
        except Exception:
            log.exception("Sweep could not deliver alerts of escalation %s; next sweep retries", escalation_id)
    return result


# ------------------------------------------------------------------------------------------------
# Signal receivers (connected in CounselingConfig.ready). The chat sends these after commit.


def on_client_help_requested(sender, client_id: int, session_id: int | None = None, **kwargs) -> None:
    from sessions.models import CounselingSession

    client = User.objects.filter(pk=client_id, role=Role.CLIENT).first()
    if client is None:
        return
    session = CounselingSession.objects.filter(pk=session_id, client=client).first() if session_id else None
    help_request(client=client, session=session)


def on_session_saved(sender, instance, created: bool = False, update_fields=None, **kwargs) -> None:
    # Signal 4: a location confirmed with no emergency plan. Checked after commit, once per session.
    if instance.location_confirmed_at is None:
        return
    if update_fields is not None and "location_confirmed_at" not in update_fields:
        return
    session_id = instance.pk
    transaction.on_commit(lambda: location_confirmed_check(session_id=session_id))


def connect_receivers() -> None:
    from django.db.models.signals import post_delete, post_save

    from sessions.models import CounselingSession
    from sessions.signals import client_help_requested

    post_save.connect(risk_phrases_changed, sender=RiskPhrase, dispatch_uid="escalation.risk_phrases_saved")
    post_delete.connect(risk_phrases_changed, sender=RiskPhrase, dispatch_uid="escalation.risk_phrases_deleted")
    client_help_requested.connect(on_client_help_requested, dispatch_uid="escalation.help_requested")
    post_save.connect(on_session_saved, sender=CounselingSession, dispatch_uid="escalation.location_confirmed")


# ------------------------------------------------------------------------------------------------
# Reads for the pages


def access_escalation(*, user, escalation_id: int) -> Escalation:
    """The escalation if `user` may handle it, else 404 (never reveal that it exists)."""
    from django.http import Http404

    escalation = (Escalation.objects.select_related("client", "client__client_profile", "counselor", "session")
                  .filter(pk=escalation_id).first())
    if escalation is None or not may_handle(user=user, escalation=escalation):
        raise Http404
    return escalation


def risk_queue(*, user, at: datetime | None = None):
    """Live escalations this person may handle, most severe first, then oldest first."""
    at = at or clock.now()
    live = (Escalation.objects.exclude(state=EscalationState.RESOLVED)
            .select_related("client__client_profile", "counselor").order_by("-severity", "created_at"))
    if user.role == Role.ADMIN or OnCallShift.objects.filter(user=user, starts_at__lte=at, ends_at__gt=at).exists():
        return live
    return live.filter(Q(counselor=user) | Q(alerts__recipient=user)).distinct()


EVENT_LABELS = {
    "opened": gettext_lazy("Opened"),
    "alerted": gettext_lazy("Alerted"),
    "roster_gap": gettext_lazy("Nobody rostered: admins alerted instead"),
    "help_pressed_again": gettext_lazy("Help button pressed again"),
    "reopened": gettext_lazy("Reopened: the help button was pressed after the acknowledgement"),
    "acknowledged": gettext_lazy("Acknowledged"),
    "resolved": gettext_lazy("Resolved"),
}


def escalation_timeline(escalation: Escalation) -> list[dict]:
    """The events with their notes opened for the page (a note that fails to open says so)."""
    rows = []
    for event in escalation.events.select_related("actor").order_by("at", "pk"):
        note = ""
        if event.note_sealed:
            try:
                note = open_text(owner_id=escalation.client_id, sealed=event.note_sealed, context=event.note_aad)
            except DecryptionError:
                note = _("[this note cannot be opened]")
        rows.append({"event": event, "note": note, "label": EVENT_LABELS.get(event.kind, event.kind),
                     "rung": Rung(event.rung).label if event.rung in Rung.values else ""})
    return rows


def client_latest_escalation(*, client) -> Escalation | None:
    return (Escalation.objects.filter(client=client, kind__in=list(CLIENT_FACING))
            .order_by("-created_at").first())
