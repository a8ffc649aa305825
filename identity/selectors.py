"""Reads of intake and identity: the identity gate and its facts, the review queue."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import BooleanField, CharField, QuerySet
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from counseling.clock import now
from counseling.crypto import DecryptionError, open_text
from counseling.gates import GateResult
from counseling.statements import composed_for
from identity.models import (
    CodeWord,
    CodeWordCheck,
    CodeWordOverride,
    IdentityDocument,
    IdentityDocumentStatus,
    Intake,
    SuitabilityOverride,
)


def intake_answers(intake: Intake) -> dict:
    """The client's answers, opened. Callers that are not the client audit their read."""
    return json.loads(open_text(owner_id=intake.client_id, sealed=intake.answers_sealed, context=intake.aad))


def intake_for(*, client) -> Intake | None:
    return Intake.objects.filter(client=client).first()


# What identity_gates asks of an intake besides, as SQL on the intake's own row: these two correlated subqueries
# written with the ORM (Exists, and Subquery ordered by a Case) cost about 0.5 ms of Python to build and compile on
# every page that asks the identity gate, five times this SQL's cost. Plain SQL that SQLite and PostgreSQL both run.
_CODE_WORD_SET = """EXISTS (
    SELECT 1 FROM counseling_codeword AS code_word WHERE code_word.client_id = counseling_intake.client_id
)"""
_DOCUMENT_STATUS = """(
    SELECT document.status FROM counseling_identitydocument AS document
    WHERE document.client_id = counseling_intake.client_id
    ORDER BY CASE WHEN document.status = %s THEN 0 ELSE 1 END, document.uploaded_at DESC
    LIMIT 1
)"""


def _with_gate_facts(intakes: QuerySet[Intake]) -> QuerySet[Intake]:
    """Intakes with what identity_gates asks besides, in the same query: `code_word_set`, and `document_status`
    as identity_status_for gives it ("verified" if any document was verified, else the latest one's; None
    without a document)."""
    return intakes.annotate(
        code_word_set=RawSQL(_CODE_WORD_SET, (), output_field=BooleanField()),  # noqa: S611
        document_status=RawSQL(  # noqa: S611
            _DOCUMENT_STATUS, (IdentityDocumentStatus.VERIFIED,), output_field=CharField()
        ),
    )


def _intake_with_gate_facts(*, client) -> QuerySet[Intake]:
    return _with_gate_facts(Intake.objects.filter(client_id=client))


def intake_for_gate(*, client) -> Intake | None:
    """The client's intake, as intake_for (its answers included), with what the identity gate asks besides read
    in the same query: identity_gate(intake=...) then asks nothing more. One query where intake_for and the gate
    take three; for a caller that needs both, within one request.

    The client's home, booking and chat ask it on every load: its statement is composed once per process
    (counseling.statements), the ORM built and compiled it for ~0.4 ms of CPU."""
    values = {"client": client.pk}
    # One intake per client at most.
    rows = composed_for(("identity.intake_for_gate",), _intake_with_gate_facts, values).instances(values)
    return rows[0] if rows else None


# The client's own time zone, read with their intake (a page that shows times in it and reads the intake anyway,
# the directory): as SQL on the intake's row, which costs less than a query of its own. NULL without a profile.
_CLIENT_TIME_ZONE = """(
    SELECT profile.time_zone FROM counseling_clientprofile AS profile
    WHERE profile.user_id = counseling_intake.client_id
)"""


def _intake_with_time_zone(*, client: int) -> QuerySet[Intake]:
    return Intake.objects.filter(client=client).annotate(
        client_time_zone=RawSQL(_CLIENT_TIME_ZONE, (), output_field=CharField())  # noqa: S611
    )


def intake_with_time_zone(*, client) -> Intake | None:
    """The client's intake, as intake_for, with `client_time_zone`: their profile's time zone (None without a
    profile). One query where the intake and the profile take two; its statement composed once per process
    (counseling.statements)."""
    values = {"client": client.pk}
    rows = composed_for(("identity.intake_with_time_zone",), _intake_with_time_zone, values).instances(values)
    return rows[0] if rows else None  # one intake per client at most


def _gate_facts_read(intake: Intake) -> bool:
    return hasattr(intake, "code_word_set") and hasattr(intake, "document_status")


# "Not read yet": the intake arguments below take None for a client without an intake.
UNREAD = object()


def intake_place(*, client, intake=UNREAD) -> tuple[str, str]:
    """(country, region) where the client usually is, from their intake; ("", "") if unknown.

    Opens the sealed intake to read the place only: the client's own data, read for the client.
    `intake`: the client's intake (with its answers) or None, when the caller has just read it.
    """
    if intake is UNREAD:
        intake = intake_for(client=client)
    if intake is None:
        return ("", "")
    try:
        answers = intake_answers(intake)
    except (DecryptionError, ValueError):
        return ("", "")
    country = str(answers.get("country") or "").strip().upper()
    region = str(answers.get("region") or "").strip().upper()
    if len(country) != 2:
        return ("", "")
    return (country, region if region.startswith(country + "-") else "")


def identity_documents_of(*, client) -> QuerySet[IdentityDocument]:
    return IdentityDocument.objects.filter(client=client).order_by("-uploaded_at")


def identity_status_for(*, client) -> str:
    """ "verified" if any document was verified, else the latest one's status, else "missing"."""
    documents = identity_documents_of(client=client)
    if documents.filter(status=IdentityDocumentStatus.VERIFIED).exists():
        return IdentityDocumentStatus.VERIFIED
    latest = documents.first()
    return latest.status if latest else "missing"


def has_code_word(*, client) -> bool:
    return CodeWord.objects.filter(client=client).exists()


def code_word_locked(*, client, at: datetime | None = None) -> bool:
    """CODE_WORD_FAILURE_LIMIT wrong answers within CODE_WORD_FAILURE_WINDOW_MINUTES: no check until it passes."""
    window_start = (at or now()) - timedelta(minutes=settings.CODE_WORD_FAILURE_WINDOW_MINUTES)
    failures = CodeWordCheck.objects.filter(client=client, matched=False, checked_at__gte=window_start).count()
    return failures >= settings.CODE_WORD_FAILURE_LIMIT


@dataclass(frozen=True)
class CodeWordStatus:
    """Where a session's code word stands (ACA H.3), never the word.

    `state` is what happened last: "waiting" (not answered yet), "matched", "mismatch", "locked" (a
    mismatch, and too many of them to try again for now) or "overridden" (the counselor went on and wrote
    down why). `confirmed`: a match or a written reason at any time in this session; once true it stays so.
    """

    state: str
    confirmed: bool


def code_word_status(*, session) -> CodeWordStatus:
    checks = CodeWordCheck.objects.filter(session=session)
    overrides = CodeWordOverride.objects.filter(session=session)
    last_check = checks.order_by("-checked_at", "-id").values_list("checked_at", "matched").first()
    last_override = overrides.order_by("-created_at", "-id").values_list("created_at", flat=True).first()
    confirmed = last_override is not None or checks.filter(matched=True).exists()
    if last_override is not None and (last_check is None or last_override >= last_check[0]):
        state = "overridden"
    elif last_check is None:
        state = "waiting"
    elif last_check[1]:
        state = "matched"
    else:
        state = "locked" if code_word_locked(client=session.client_id) else "mismatch"
    return CodeWordStatus(state=state, confirmed=confirmed)


def review_queue() -> QuerySet[IdentityDocument]:
    """Pending documents, oldest first, with the client's pseudonym for the list."""
    return (
        IdentityDocument.objects.filter(status=IdentityDocumentStatus.PENDING, destroyed_at__isnull=True)
        .select_related("client__client_profile")
        .order_by("uploaded_at")
    )


def access_identity_document(*, user, identity_document_id: int) -> IdentityDocument:
    """Only admins (with a verified second factor, checked by the view's decorator) see ID documents.
    Anyone else gets 404 for a document that exists, exactly as for one that does not."""
    if not (user.is_authenticated and user.is_admin):
        raise Http404
    document = IdentityDocument.objects.select_related("client__client_profile").filter(pk=identity_document_id).first()
    if document is None:
        raise Http404
    return document


@dataclass(frozen=True)
class IntakeSummary:
    """What a counselor reads of a client's intake to decide whether to take them on: the screen, where they are,
    their age group and plan, and the other care they have. Not their legal name, phone or emergency contact's
    details (those are for an emergency, on the emergency card). The caller audits the read."""

    screen: list[tuple[str, bool]]  # each screening question (its label key) and the answer
    suitability_passed: bool
    country: str
    region: str
    is_minor: bool
    guardian_consent_recorded: bool
    has_emergency_plan: bool
    other_providers: str
    connection_drop_plan: str
    readable: bool = True


SCREEN_QUESTIONS = ("suitable_text", "suitable_private", "suitable_language")


def intake_summary(*, client) -> IntakeSummary | None:
    """The client's intake as the counselor deciding on their request reads it (None without an intake)."""
    intake = intake_for(client=client)
    if intake is None:
        return None
    try:
        answers = intake_answers(intake)
    except (DecryptionError, ValueError):
        answers, readable = {}, False
    else:
        readable = True
    return IntakeSummary(
        screen=[(key, bool(answers.get(key))) for key in SCREEN_QUESTIONS],
        suitability_passed=intake.suitability_passed,
        country=str(answers.get("country") or ""),
        region=str(answers.get("region") or ""),
        is_minor=intake.is_minor,
        guardian_consent_recorded=intake.guardian_consent_recorded,
        has_emergency_plan=intake.has_emergency_plan,
        other_providers=str(answers.get("other_providers") or ""),
        connection_drop_plan=str(answers.get("connection_drop_plan") or ""),
        readable=readable,
    )


def suitability_overridden(*, client, counselor) -> bool:
    """Has this counselor overridden the client's failed suitability screen, in writing?"""
    client_id = getattr(client, "pk", client)
    counselor_id = getattr(counselor, "pk", counselor)
    return SuitabilityOverride.objects.filter(client_id=client_id, counselor_id=counselor_id).exists()


def suitability_override_reasons(*, client, counselor) -> list[SuitabilityOverride]:
    """The counselor's written overrides of the client's screen, each with `reason` opened (for that counselor's
    own page, which audits the read). A reason that cannot be opened reads as None."""
    rows = list(SuitabilityOverride.objects.filter(client=client, counselor=counselor))
    for row in rows:
        try:
            row.reason = open_text(owner_id=row.client_id, sealed=row.reason_sealed, context=row.aad)
        except DecryptionError:
            row.reason = None
    return rows


def identity_gate(*, client, counselor=None, intake=UNREAD) -> GateResult:
    """Has this client a verified identity and an emergency plan? (ACA H.3; HHS emergency planning)

    Allowed only with a verified ID document, a complete intake with an authorised emergency contact
    and a plan for a dropped connection, a code word, and a passed suitability screen. A screen that did not
    pass is asked last, so the refusal "unsuitable_for_text" means everything else is in place: then the client
    may still send a counselor a request (sessions.services.session_book), and once `counselor` overrode the
    screen in writing (SuitabilityOverride) the gate passes for that counselor.

    `intake`: the client's intake or None, when the caller has just read it (not read again).
    """
    intakes = None if intake is UNREAD else ({client.pk: intake} if intake is not None else {})
    return identity_gates(clients=[client], counselor=counselor, intakes=intakes)[client.pk]


def _gate_intakes(*, clients: list[int]):
    return _with_gate_facts(Intake.objects.filter(client_id__in=clients).defer("answers_sealed"))


def identity_gates(*, clients, counselor=None, intakes: dict | None = None) -> dict[int, GateResult]:
    """{client id: identity_gate(client=..., counselor=...)} for many clients (a page of the caseload) in a few
    queries whatever their number: intakes, code words, ID documents, and with a counselor their overrides of a
    failed screen. identity_gate itself is this for one client. `intakes`: {client id: intake} of these clients
    when the caller has just read them (a client not in it has none)."""
    ids = [client.pk for client in clients]
    if intakes is None:
        # One query: a client without an intake is refused before their code word and document are asked, so
        # these ride along with the intakes. Its statement is composed once per number of clients.
        intakes = {}
        if ids:  # no statement for none (the ORM composes none for `__in []`)
            values = {"clients": ids}
            statement = composed_for(("identity_gates",), _gate_intakes, values)
            intakes = {intake.client_id: intake for intake in statement.instances(values)}
    facts = intakes  # read with the intakes (above, or by intake_for_gate): each intake's own client's
    if not all(_gate_facts_read(intake) and intake.client_id == pk for pk, intake in intakes.items()):
        # Intakes given without them (intake_for): the facts of these clients' own intakes, read in one query.
        facts = {
            intake.client_id: intake
            for intake in _with_gate_facts(Intake.objects.filter(client_id__in=list(intakes)).only("client_id"))
        }
    code_words = {pk for pk, intake in facts.items() if intake.code_word_set}
    statuses = {pk: intake.document_status for pk, intake in facts.items() if intake.document_status is not None}
    overridden: set[int] = set()
    if counselor is not None and any(not intake.suitability_passed for intake in intakes.values()):
        overridden = set(
            SuitabilityOverride.objects.filter(
                client_id__in=ids, counselor_id=getattr(counselor, "pk", counselor)
            ).values_list("client_id", flat=True)
        )
    url = reverse("intake:home")  # the same for every client: reversed once
    no_intake: GateResult | None = None  # every client without an intake: decided (its message translated) once

    def decide(pk: int) -> GateResult:
        nonlocal no_intake
        if pk not in intakes and no_intake is not None:
            return no_intake
        result = _identity_decide(
            intake=intakes.get(pk),
            has_code_word=pk in code_words,
            document_status=statuses.get(pk, "missing"),
            screen_overridden=pk in overridden,
            url=url,
        )
        if pk not in intakes:
            no_intake = result
        return result

    return {pk: decide(pk) for pk in ids}


def _identity_decide(
    *, intake, has_code_word: bool, document_status: str, screen_overridden: bool, url: str
) -> GateResult:
    if intake is None:
        return GateResult.refuse("intake_missing", _("Please complete your intake first."), url)
    if not intake.has_emergency_plan:
        return GateResult.refuse(
            "emergency_plan_missing",
            _(
                "Please complete your emergency plan: an emergency contact you allow us to "
                "call, and what to do if the connection drops."
            ),
            url,
        )
    if not has_code_word:
        return GateResult.refuse("code_word_missing", _("Please choose a code word."), url)
    if document_status != "verified":
        message = {
            "pending": _("Your identity document is waiting for review."),
            "rejected": _("Your identity document was not accepted. Please upload another one."),
        }.get(document_status, _("Please upload an identity document."))
        # Waiting for review: the intake page says so; otherwise the upload page (a first or another document).
        fix = url if document_status == "pending" else reverse("intake:identity_upload")
        return GateResult.refuse("identity_unverified", message, fix)
    if not intake.suitability_passed and not screen_overridden:
        return GateResult.refuse(
            "unsuitable_for_text",
            _(
                "From your intake, text counseling may not be safe or private enough for you now. A counselor "
                "decides this with you: send a counselor a request. They read your intake, then accept you, or "
                "refer you to face-to-face care."
            ),
            reverse("sessions:booking_counselors"),
        )
    return GateResult.ok()


def minor_birth_date(client) -> date | None:
    """A minor's birth date from their sealed intake (only intakes flagged as a minor are opened); the
    retention engine keeps a minor's records until majority plus N years when that is longer."""
    intake = Intake.objects.filter(client=client, is_minor=True).first()
    if intake is None:
        return None
    try:
        return date.fromisoformat(intake_answers(intake).get("date_of_birth", ""))
    except (DecryptionError, ValueError):
        return None


def identity_client_export(client) -> dict:
    """The identity section of the client's own copy of their data (records.services.client_export).

    The intake answers are opened in memory. The code word is never in it, not even its hash (a hash can be
    guessed at offline): only whether one is set and since when. ID documents are described, not included:
    the file is the copy the client gave us, kept only until review plus IDENTITY_DOCUMENT_KEEP_DAYS.
    """
    intake = intake_for(client=client)
    intake_part = None
    if intake is not None:
        try:
            answers = intake_answers(intake)
        except (DecryptionError, ValueError):
            answers = None
        intake_part = {
            "answers": answers,
            "answers_unreadable": answers is None,
            "emergency_contact_authorised": intake.emergency_contact_authorised,
            "has_connection_plan": intake.has_connection_plan,
            "is_minor": intake.is_minor,
            "guardian_consent_recorded": intake.guardian_consent_recorded,
            "suitability_passed": intake.suitability_passed,
            "completed_at": intake.completed_at.isoformat(),
            "updated_at": intake.updated_at.isoformat(),
        }
    code_word = CodeWord.objects.filter(client=client).values_list("set_at", flat=True).first()
    documents = [
        {
            "uploaded_at": document.uploaded_at.isoformat(),
            "content_type": document.content_type,
            "size_bytes": document.size_bytes,
            "status": document.status,
            "reviewed_at": document.reviewed_at.isoformat() if document.reviewed_at else None,
            "reviewed_by": document.reviewed_by.display_name if document.reviewed_by else None,
            "rejection_reason": document.rejection_reason,
            "destroyed_at": document.destroyed_at.isoformat() if document.destroyed_at else None,
            "file_included": False,
        }
        for document in identity_documents_of(client=client).select_related("reviewed_by").order_by("uploaded_at")
    ]
    overrides = [
        {"created_at": row.created_at.isoformat(), "counselor": row.counselor.display_name}
        for row in SuitabilityOverride.objects.filter(client=client).select_related("counselor")
    ]
    return {
        "intake": intake_part,
        # A counselor decided that text counseling may go on although the screen did not pass (their written reason
        # is part of the clinical record, released with it).
        "suitability_overrides": overrides,
        "code_word": {"set": code_word is not None, "set_at": code_word.isoformat() if code_word else None},
        "identity_documents": documents,
        "identity_document_files_kept_days_after_review": settings.IDENTITY_DOCUMENT_KEEP_DAYS,
    }
