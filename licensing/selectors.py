"""Reads of the licensing app: the jurisdiction gate, the directory, access to licences."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from counseling.gates import GateResult
from counseling.models import AuditEntry, Role, User
from licensing.models import CompactPrivilege, Jurisdiction, LapseNotice, Licence, LicenceState

# When several licences cover the place and none is valid, the reason shown is the most serious one.
_REFUSAL_ORDER = [
    "licence_revoked",
    "licence_suspended",
    "licence_expired",
    "licence_unverified",
    "licence_not_yet_valid",
    "licence_rejected",
]


def _day(at: datetime) -> date:
    """Licence dates are calendar days; the UTC day decides, one rule everywhere."""
    if at.tzinfo is None:
        raise ValueError("jurisdiction checks need an aware datetime")
    return at.astimezone(UTC).date()


def _licence_refusal(licence: Licence, day: date) -> str:
    """Why this one licence does not allow practice on `day` ("" if it does)."""
    if licence.state == LicenceState.VERIFIED:
        if day > licence.expires_on:
            return "licence_expired"
        if day < licence.valid_from:
            return "licence_not_yet_valid"
        return ""
    return {
        LicenceState.SUBMITTED: "licence_unverified",
        LicenceState.EXPIRED: "licence_expired",
        LicenceState.SUSPENDED: "licence_suspended",
        LicenceState.REVOKED: "licence_revoked",
        LicenceState.REJECTED: "licence_rejected",
    }[licence.state]


def _privilege_refusal(privilege: CompactPrivilege, day: date) -> str:
    """A compact privilege counts only while recorded, unrevoked, and its home licence is valid."""
    if privilege.revoked_at is not None:
        return "licence_revoked"
    home = privilege.home_licence
    agreement = privilege.agreement
    member_ids = {j.pk for j in agreement.members.all()}
    if (
        home.counselor_id != privilege.counselor_id
        or not agreement.covers_kind(home.kind)
        or home.jurisdiction_id not in member_ids
        or privilege.jurisdiction_id not in member_ids
    ):
        return "no_licence_there"
    return _licence_refusal(home, day)


def refusal_message(reason: str) -> str:
    return {
        "no_licence_there": _("This counselor holds no licence for the place where you are."),
        "licence_expired": _("This counselor's licence for the place where you are has expired."),
        "licence_unverified": _("This counselor's licence for the place where you are is not verified yet."),
        "licence_not_yet_valid": _("This counselor's licence for the place where you are is not valid yet."),
        "licence_suspended": _("This counselor's licence for the place where you are is suspended."),
        "licence_revoked": _("This counselor's licence for the place where you are was revoked."),
        "licence_rejected": _("This counselor's licence for the place where you are could not be verified."),
        "location_unknown": _("Tell us where you are to see whether this counselor may counsel you there."),
    }[reason]


def jurisdiction_gate(*, counselor, country: str, region: str = "", at: datetime) -> GateResult:
    """May `counselor` counsel a client located in country/region at `at`?

    Counseling takes place where the client is at the time (ACA H.1.b). Yes only with a verified
    licence valid on that day whose jurisdiction covers the place (a country-level licence covers
    every region; a regional one only its region), or a recorded compact privilege there whose home
    licence is valid. Otherwise no, with the most serious reason among the licences that cover it.
    """
    country = (country or "").strip().upper()
    region = (region or "").strip().upper()
    if not country:
        return GateResult.refuse(
            "location_unknown", refusal_message("location_unknown"), reverse("licensing:directory")
        )
    covering = Q(jurisdiction__country=country) & (Q(jurisdiction__region="") | Q(jurisdiction__region=region))
    licences = Licence.objects.filter(covering, counselor_id=counselor.pk)
    privileges = (
        CompactPrivilege.objects.filter(covering, counselor_id=counselor.pk)
        .select_related("home_licence", "agreement")
        .prefetch_related("agreement__members")
    )
    return _decide(licences=licences, privileges=privileges, day=_day(at))


def _decide(*, licences, privileges, day: date) -> GateResult:
    """The gate's answer from the licences and privileges that cover the place (already filtered)."""
    reasons: list[str] = []
    for licence in licences:
        reason = _licence_refusal(licence, day)
        if not reason:
            return GateResult.ok()
        reasons.append(reason)
    for privilege in privileges:
        reason = _privilege_refusal(privilege, day)
        if not reason:
            return GateResult.ok()
        reasons.append(reason)
    known = [r for r in _REFUSAL_ORDER if r in reasons]
    reason = known[0] if known else "no_licence_there"
    return GateResult.refuse(reason, refusal_message(reason), reverse("licensing:directory"))


def jurisdiction_choices() -> QuerySet[Jurisdiction]:
    return Jurisdiction.objects.all()


def jurisdiction_name(*, country: str, region: str) -> str:
    """The name of a region ("DI Yogyakarta" for ID-YO), or "" when it is not a known jurisdiction."""
    return (
        Jurisdiction.objects.filter(country=country.upper(), region=region.upper())
        .values_list("name", flat=True)
        .first()
        or ""
    )


def valid_jurisdiction(*, country: str, region: str = "") -> bool:
    country, region = country.strip().upper(), region.strip().upper()
    if not country:
        return False
    if region and not region.startswith(country + "-"):
        return False
    return Jurisdiction.objects.filter(country=country, region=region).exists() or (
        bool(region) and Jurisdiction.objects.filter(country=country, region="").exists()
    )


@dataclass
class DirectoryEntry:
    counselor: User
    licences: list[Licence]
    privileges: list[CompactPrivilege]
    gate: GateResult | None = None
    lapse_notices: list[LapseNotice] = field(default_factory=list)

    @property
    def profile(self):
        return self.counselor.counselor_profile

    @property
    def bookable(self) -> bool:
        return bool(self.gate)


def _valid_licence_filter(day: date) -> Q:
    return Q(state=LicenceState.VERIFIED, valid_from__lte=day, expires_on__gte=day)


def public_licences(*, counselor, at: datetime) -> list[Licence]:
    """Verified licences valid today: what a profile may show publicly."""
    day = _day(at)
    return list(
        Licence.objects.filter(_valid_licence_filter(day), counselor=counselor)
        .select_related("issuing_body", "jurisdiction")
        .order_by("jurisdiction__country", "kind")
    )


def public_privileges(*, counselor, at: datetime) -> list[CompactPrivilege]:
    day = _day(at)
    rows = (
        CompactPrivilege.objects.filter(counselor=counselor, revoked_at__isnull=True)
        .select_related("jurisdiction", "agreement", "home_licence__jurisdiction")
        .prefetch_related("agreement__members")
    )
    return [p for p in rows if not _privilege_refusal(p, day)]


def directory_entries(*, at: datetime, country: str = "", region: str = "") -> list[DirectoryEntry]:
    """Counselors with at least one verified, currently valid licence, each with a gate answer for
    the given place (None when the place is unknown).

    A fixed number of queries whatever the number of counselors: every licence and privilege is
    prefetched once and the gate's own rules (`_decide`) run on them in memory.
    """
    day = _day(at)
    country, region = (country or "").strip().upper(), (region or "").strip().upper()
    all_licences = Licence.objects.select_related("issuing_body", "jurisdiction").order_by(
        "jurisdiction__country", "kind"
    )
    all_privileges = CompactPrivilege.objects.select_related(
        "jurisdiction", "agreement", "home_licence__jurisdiction"
    ).prefetch_related("agreement__members")
    counselors = (
        User.objects.filter(
            role=Role.COUNSELOR,
            is_active=True,
            counselor_profile__isnull=False,
            licences__in=Licence.objects.filter(_valid_licence_filter(day)),
        )
        .distinct()
        .select_related("counselor_profile")
        .prefetch_related(
            Prefetch("licences", queryset=all_licences, to_attr="all_licences"),
            Prefetch("privileges", queryset=all_privileges, to_attr="all_privileges"),
        )
        .order_by("counselor_profile__display_name")
    )
    entries = []
    for counselor in counselors:
        valid_privileges = [p for p in counselor.all_privileges if not _privilege_refusal(p, day)]
        entry = DirectoryEntry(
            counselor=counselor,
            licences=[li for li in counselor.all_licences if li.is_valid_on(day)],
            privileges=valid_privileges,
        )
        if country:
            entry.gate = _decide(
                licences=[
                    li for li in counselor.all_licences if li.jurisdiction.covers(country=country, region=region)
                ],
                privileges=[
                    p for p in counselor.all_privileges if p.jurisdiction.covers(country=country, region=region)
                ],
                day=day,
            )
        entries.append(entry)
    # Bookable first, then by name: a client sees who can help them before who cannot.
    entries.sort(key=lambda e: (not e.bookable, e.profile.display_name.lower()))
    return entries


def access_counselor_public(*, counselor_id: int) -> User:
    """An active counselor's public profile; anything else is 404."""
    counselor = (
        User.objects.filter(pk=counselor_id, role=Role.COUNSELOR, is_active=True, counselor_profile__isnull=False)
        .select_related("counselor_profile")
        .first()
    )
    if counselor is None:
        raise Http404
    return counselor


def access_licence(*, user, licence_id: int) -> Licence:
    """The licence if `user` is an admin or the counselor who holds it, else 404."""
    licence = (
        Licence.objects.select_related(
            "counselor__counselor_profile", "issuing_body", "jurisdiction", "submitted_by", "decided_by"
        )
        .filter(pk=licence_id)
        .first()
    )
    if licence is None or not user.is_authenticated:
        raise Http404
    if user.role == Role.ADMIN or (user.role == Role.COUNSELOR and licence.counselor_id == user.pk):
        return licence
    raise Http404


def verification_queue() -> QuerySet[Licence]:
    return (
        Licence.objects.filter(state=LicenceState.SUBMITTED)
        .select_related("counselor__counselor_profile", "issuing_body", "jurisdiction", "submitted_by")
        .order_by("submitted_at")
    )


def licences_recently_decided(*, limit: int = 20) -> QuerySet[Licence]:
    return (
        Licence.objects.exclude(state=LicenceState.SUBMITTED)
        .select_related("counselor__counselor_profile", "issuing_body", "jurisdiction", "decided_by")
        .order_by("-state_changed_at")[:limit]
    )


def counselor_licences(*, counselor) -> QuerySet[Licence]:
    return (
        Licence.objects.filter(counselor=counselor)
        .select_related("issuing_body", "jurisdiction")
        .order_by("-submitted_at")
    )


def counselor_privileges(*, counselor) -> QuerySet[CompactPrivilege]:
    return CompactPrivilege.objects.filter(counselor=counselor).select_related(
        "jurisdiction", "agreement", "home_licence__jurisdiction"
    )


def licence_history(*, licence: Licence):
    """The audit trail of one licence: every state change, with who did it."""
    return AuditEntry.objects.filter(target_type="licensing.licence", target_id=str(licence.pk)).order_by("sequence")


def open_lapse_notices(*, client) -> QuerySet[LapseNotice]:
    return LapseNotice.objects.filter(client=client, dismissed_at__isnull=True).select_related(
        "counselor__counselor_profile", "licence__jurisdiction"
    )
