"""Reads of intake and identity: the gate's facts, the review queue, the location a counselor sees,
the code-word result and the emergency numbers of a place. Re-exported by counseling.selectors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.http import Http404

from counseling.models import (
    CodeWord,
    CodeWordCheck,
    EmergencyResource,
    IdentityDocument,
    IdentityDocumentStatus,
    Intake,
)


def emergency_numbers_for(*, country: str, region: str = "") -> list[EmergencyResource]:
    """The published emergency and crisis numbers for a place: the region's own first, then the country's.

    Published means active and confirmed by an admin against its source (checked_on). Several per
    place by design. An unknown place gives an empty list; callers then say "call your local
    emergency number" (templates/counseling/_emergency_numbers.html does).
    """
    country = (country or "").strip().upper()
    region = (region or "").strip().upper()
    if not country:
        return []
    places = Q(country=country, region="")
    if region:
        places |= Q(country=country, region=region)
    return list(EmergencyResource.objects.filter(places, is_active=True, checked_on__isnull=False)
                .annotate(regional=Case(When(region="", then=Value(1)), default=Value(0),
                                        output_field=IntegerField()))
                .order_by("regional", "sort_order", "name"))


def emergency_numbers_by_country() -> dict[str, list[EmergencyResource]]:
    """Every country's own (country-wide) numbers, for pages where the client picks a country."""
    places: dict[str, list[EmergencyResource]] = {}
    published = EmergencyResource.objects.filter(is_active=True, checked_on__isnull=False, region="")
    for resource in published.order_by("country", "sort_order", "name"):
        places.setdefault(resource.country, []).append(resource)
    return places


def emergency_numbers_to_check(*, today: date) -> list[EmergencyResource]:
    """Active numbers that need an admin: never confirmed, no source recorded, or not confirmed for
    EMERGENCY_NUMBER_RECHECK_DAYS (shown on the staff dashboard, oldest first)."""
    stale_before = today - timedelta(days=settings.EMERGENCY_NUMBER_RECHECK_DAYS)
    return list(EmergencyResource.objects.filter(is_active=True)
                .filter(Q(checked_on__isnull=True) | Q(checked_on__lt=stale_before) | Q(source_url=""))
                .order_by(F("checked_on").asc(nulls_first=True), "country", "region", "sort_order"))


def intake_for(*, client) -> Intake | None:
    return Intake.objects.filter(client=client).first()


def identity_documents_of(*, client) -> QuerySet[IdentityDocument]:
    return IdentityDocument.objects.filter(client=client).order_by("-uploaded_at")


def identity_status_for(*, client) -> str:
    """"verified" if any document was verified, else the latest one's status, else "missing"."""
    documents = identity_documents_of(client=client)
    if documents.filter(status=IdentityDocumentStatus.VERIFIED).exists():
        return IdentityDocumentStatus.VERIFIED
    latest = documents.first()
    return latest.status if latest else "missing"


def has_code_word(*, client) -> bool:
    return CodeWord.objects.filter(client=client).exists()


def review_queue() -> QuerySet[IdentityDocument]:
    """Pending documents, oldest first, with the client's pseudonym for the list."""
    return (IdentityDocument.objects.filter(status=IdentityDocumentStatus.PENDING, destroyed_at__isnull=True)
            .select_related("client__client_profile").order_by("uploaded_at"))


def access_identity_document(*, user, identity_document_id: int) -> IdentityDocument:
    """Only admins (with a verified second factor, checked by the view's decorator) see ID documents.
    Anyone else gets 404 for a document that exists, exactly as for one that does not."""
    if not (user.is_authenticated and user.is_admin):
        raise Http404
    document = IdentityDocument.objects.select_related("client__client_profile").filter(
        pk=identity_document_id).first()
    if document is None:
        raise Http404
    return document


@dataclass(frozen=True)
class LocationChange:
    intake_country: str
    intake_region: str
    session_country: str
    session_region: str


def session_location_change(*, session) -> LocationChange | None:
    """A change between the intake location and the location confirmed for this session, or None.

    The counselor sees it (ACA H.1.b: a new place can mean another law and other emergency numbers).
    None also when nothing is confirmed yet or there is no intake to compare with.
    """
    if session.location_confirmed_at is None:
        return None
    intake = intake_for(client=session.client_id)
    if intake is None:
        return None
    from counseling.intake import intake_answers

    answers = intake_answers(intake)
    before = (answers.get("country", ""), answers.get("region", ""))
    after = (session.location_country, session.location_region)
    if before == after:
        return None
    return LocationChange(*before, *after)


def code_word_result_for(*, session, viewer) -> bool | None:
    """The latest code-word answer in this session for its counselor: True (matches), False (does
    not match) or None (not answered). Never the word."""
    if viewer.pk != session.counselor_id:
        raise PermissionDenied
    latest = CodeWordCheck.objects.filter(session=session).order_by("-checked_at", "-id").first()
    return None if latest is None else latest.matched


def sessions_to_locate(*, client) -> list:
    """The client's sessions still to come, each needing a location confirmed before it starts. Each carries
    `location_status`: "current" (its confirmation counts), "later" (confirmed too early: asked again from
    `location_asked_from`), "again" (confirmed too early, and it can be confirmed again now) or "missing"."""
    from counseling.clock import now
    from sessions.models import CounselingSession, SessionState
    from sessions.selectors import location_confirmation_current, location_confirmation_opens_at

    sessions = list(CounselingSession.objects.filter(client=client, ends_at__gt=now(),
                                                     state__in=[SessionState.SCHEDULED, SessionState.OPEN])
                    .select_related("counselor__counselor_profile").order_by("starts_at")[:10])
    at = now()
    for session in sessions:
        session.location_asked_from = location_confirmation_opens_at(session=session)
        if session.location_confirmed_at is None:
            session.location_status = "missing"
        elif location_confirmation_current(session=session):
            session.location_status = "current"
        else:
            session.location_status = "later" if session.location_asked_from > at else "again"
    return sessions
