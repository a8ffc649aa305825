"""Reads of intake and identity: the identity gate and its facts, the review queue."""

from __future__ import annotations

import json
from datetime import date

from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from counseling.crypto import DecryptionError, open_text
from counseling.gates import GateResult
from identity.models import CodeWord, IdentityDocument, IdentityDocumentStatus, Intake


def intake_answers(intake: Intake) -> dict:
    """The client's answers, opened. Callers that are not the client audit their read."""
    return json.loads(open_text(owner_id=intake.client_id, sealed=intake.answers_sealed, context=intake.aad))


def intake_for(*, client) -> Intake | None:
    return Intake.objects.filter(client=client).first()


def intake_place(*, client) -> tuple[str, str]:
    """(country, region) where the client usually is, from their intake; ("", "") if unknown.

    Opens the sealed intake to read the place only: the client's own data, read for the client.
    """
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


def identity_gate(*, client) -> GateResult:
    """Has this client a verified identity and an emergency plan? (ACA H.3; HHS emergency planning)

    Allowed only with a verified ID document, a complete intake with an authorised emergency contact
    and a plan for a dropped connection, a passed suitability screen and a code word.
    """
    url = reverse("intake:home")
    intake = intake_for(client=client)
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
    if not intake.suitability_passed:
        return GateResult.refuse(
            "unsuitable_for_text",
            _(
                "From your intake, text counseling may not be safe or private enough for "
                "you now. Please talk to us about face-to-face care."
            ),
            url,
        )
    if not has_code_word(client=client):
        return GateResult.refuse("code_word_missing", _("Please choose a code word."), url)
    status = identity_status_for(client=client)
    if status != "verified":
        message = {
            "pending": _("Your identity document is waiting for review."),
            "rejected": _("Your identity document was not accepted. Please upload another one."),
        }.get(status, _("Please upload an identity document."))
        return GateResult.refuse("identity_unverified", message, url)
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
