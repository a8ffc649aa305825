"""Writes of the licensing app: submission, verification, state changes, privileges, expiry.

Every state change goes through `_transition`, which claims the move with a conditional update
(so two admins, or an admin and the expiry job, cannot both move one licence) and writes the audit
entry with who did it ("system" for the daily job).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from counseling.audit import audit_record
from counseling.clock import now
from counseling.crypto import open_sealed, seal
from counseling.documents import PDF_REFUSAL_MESSAGES, CleanDocument, DocumentRefused, clean_document
from counseling.mail import email_person, language_of
from counseling.models import Role, User
from counseling.notifications import notify_user_on_commit
from licensing.models import (
    LICENCE_TRANSITIONS,
    CompactPrivilege,
    IssuingBody,
    Jurisdiction,
    LapseNotice,
    Licence,
    LicenceState,
    PracticeAgreement,
    PracticeRule,
    VerificationCheck,
)
from licensing.selectors import _day
from licensing.signals import licence_lapsed

log = logging.getLogger(__name__)

MAX_EVIDENCE_BYTES = 5 * 1024 * 1024
# Read from the image header (counseling.documents), so a decompression bomb is refused undecoded.
MAX_EVIDENCE_PIXELS = 40_000_000
# Nearest first: a licence already inside 14 days gets that warning, which also settles the 60-day one.
WARNING_DAYS = (14, 60)


class LicenceError(Exception):
    """A licence action that cannot be done as asked; the message is shown to the person."""


class LicenceStateError(LicenceError):
    pass


class VerificationRefused(PermissionDenied):
    """Four-eyes rule: nobody verifies their own licence or a licence they submitted."""


def evidence_check(*, data: bytes, name: str) -> CleanDocument:
    """What is kept of an evidence document: its real type (PDF, PNG or JPEG, judged by its bytes and matching its
    name) and its bytes (an image re-encoded without its EXIF, a checked PDF); or LicenceError with a message for
    the counselor."""
    try:
        return clean_document(name=name, data=data, max_bytes=MAX_EVIDENCE_BYTES, max_pixels=MAX_EVIDENCE_PIXELS)
    except DocumentRefused as refused:
        messages = {
            "too_large": _("The document is larger than 5 MB."),
            "too_many_pixels": _("The image is too large (too many pixels). Please send a smaller scan."),
            "type_mismatch": _("The file's content does not match its name: use a .pdf, .png or .jpg file."),
            **PDF_REFUSAL_MESSAGES,
        }
        raise LicenceError(
            messages.get(refused.code, _("Please upload the licence as a PDF, PNG or JPEG file."))
        ) from refused


def licence_submit(
    *,
    counselor: User,
    submitted_by: User,
    issuing_body: IssuingBody,
    kind: str,
    number: str,
    jurisdiction: Jurisdiction,
    scope: str,
    valid_from,
    expires_on,
    evidence: bytes | None = None,
    evidence_filename: str = "",
    request=None,
) -> Licence:
    """Record a licence as submitted. The counselor submits their own; an admin may submit for one."""
    if counselor.role != Role.COUNSELOR:
        raise LicenceError(_("Licences belong to counselors."))
    if submitted_by.pk != counselor.pk and submitted_by.role != Role.ADMIN:
        raise PermissionDenied
    if expires_on < valid_from:
        raise LicenceError(_("The expiry date must be after the start date."))
    kept = evidence_check(data=evidence, name=evidence_filename) if evidence is not None else None
    with transaction.atomic():
        licence = Licence.objects.create(
            counselor=counselor,
            submitted_by=submitted_by,
            issuing_body=issuing_body,
            kind=kind,
            number=number.strip(),
            jurisdiction=jurisdiction,
            scope=scope.strip(),
            valid_from=valid_from,
            expires_on=expires_on,
            state=LicenceState.SUBMITTED,
            state_changed_at=now(),
            submitted_at=now(),
        )
        if kept is not None:
            # Under the counselor's own data key: shredding their key destroys their documents.
            licence.evidence_sealed = seal(owner_id=counselor.pk, plaintext=kept.data, context=licence.evidence_context)
            licence.evidence_filename = _safe_filename(evidence_filename)
            licence.evidence_content_type = kept.content_type
            licence.save(update_fields=["evidence_sealed", "evidence_filename", "evidence_content_type"])
        audit_record(
            actor=submitted_by,
            action="licence.submitted",
            target=licence,
            request=request,
            detail={
                "counselor_id": counselor.pk,
                "kind": kind,
                "jurisdiction": jurisdiction.code,
                "state": LicenceState.SUBMITTED,
                "evidence": bool(evidence),
            },
        )
    return licence


def _safe_filename(name: str) -> str:
    keep = "".join(c for c in name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1] if c.isalnum() or c in "._- ")
    return keep.strip()[:120] or "licence"


def _require_admin(actor: User) -> None:
    if not actor.is_authenticated or actor.role != Role.ADMIN:
        raise VerificationRefused(_("Only an admin may change a licence's state."))


def four_eyes_refusal(*, licence: Licence, actor: User) -> str:
    """Why `actor` may not decide on `licence` (the four-eyes rule), or "" when they may. Pages ask this
    to offer the decision only to those who may take it; every decision checks it again."""
    if actor.pk == licence.counselor_id:
        return str(_("You cannot verify your own licence."))
    if actor.pk == licence.submitted_by_id:
        return str(_("You cannot decide on a licence you submitted; another admin must."))
    return ""


def _require_four_eyes(*, licence: Licence, actor: User) -> None:
    if refusal := four_eyes_refusal(licence=licence, actor=actor):
        raise VerificationRefused(refusal)


def _transition(
    *,
    licence: Licence,
    to_state: str,
    actor: User | None,
    reason: str,
    action: str,
    request=None,
    detail: dict | None = None,
    decided: bool = False,
) -> bool:
    """Move `licence` to `to_state` if it is still in the state we read. Must run inside atomic().

    Returns False (and changes nothing) if someone else moved it first.
    """
    from_state = licence.state
    if to_state not in LICENCE_TRANSITIONS[from_state]:
        raise LicenceStateError(
            _("A licence that is %(from)s cannot become %(to)s.")
            % {"from": LicenceState(from_state).label, "to": LicenceState(to_state).label}
        )
    at = now()
    fields = {"state": to_state, "state_changed_at": at, "state_reason": reason[:500]}
    if decided:
        fields.update(decided_by=actor, decided_at=at)
    claimed = Licence.objects.filter(pk=licence.pk, state=from_state).update(**fields)
    if not claimed:
        return False
    for name, value in fields.items():
        setattr(licence, name, value)
    audit_record(
        actor=actor,
        action=action,
        target=licence,
        request=request,
        detail={
            "counselor_id": licence.counselor_id,
            "from": from_state,
            "to": to_state,
            "reason": reason[:500],
            **(detail or {}),
        },
    )
    return True


def _record_check(*, licence, admin, outcome, registry_reference, registry_finding, checked_at, reason):
    if not registry_reference.strip() or not registry_finding.strip():
        raise LicenceError(_("Record the register reference you checked and what it said."))
    return VerificationCheck.objects.create(
        licence=licence,
        checked_by=admin,
        checked_at=checked_at or now(),
        outcome=outcome,
        registry_reference=registry_reference.strip(),
        registry_finding=registry_finding.strip(),
        reason=reason,
    )


def licence_verify(
    *,
    licence: Licence,
    admin: User,
    registry_reference: str,
    registry_finding: str,
    checked_at: datetime | None = None,
    reason: str = "",
    request=None,
) -> VerificationCheck:
    """An admin confirms the licence against the issuing body's register and records how."""
    _require_admin(admin)
    _require_four_eyes(licence=licence, actor=admin)
    with transaction.atomic():
        check = _record_check(
            licence=licence,
            admin=admin,
            outcome=VerificationCheck.Outcome.VERIFIED,
            registry_reference=registry_reference,
            registry_finding=registry_finding,
            checked_at=checked_at,
            reason=reason,
        )
        if not _transition(
            licence=licence,
            to_state=LicenceState.VERIFIED,
            actor=admin,
            reason=reason,
            action="licence.verified",
            request=request,
            decided=True,
            detail={"check_id": check.pk},
        ):
            raise LicenceStateError(_("Someone else decided on this licence a moment ago."))
        _tell_counselor(
            licence=licence,
            kind="licence.verified",
            message=lambda: _("Your licence %(number)s was verified.") % {"number": licence.number},
        )
    return check


def licence_reject(
    *,
    licence: Licence,
    admin: User,
    registry_reference: str,
    registry_finding: str,
    reason: str,
    checked_at: datetime | None = None,
    request=None,
) -> VerificationCheck:
    _require_admin(admin)
    _require_four_eyes(licence=licence, actor=admin)
    if not reason.strip():
        raise LicenceError(_("Say why the licence is rejected; the counselor sees the reason."))
    with transaction.atomic():
        check = _record_check(
            licence=licence,
            admin=admin,
            outcome=VerificationCheck.Outcome.REJECTED,
            registry_reference=registry_reference,
            registry_finding=registry_finding,
            checked_at=checked_at,
            reason=reason,
        )
        if not _transition(
            licence=licence,
            to_state=LicenceState.REJECTED,
            actor=admin,
            reason=reason,
            action="licence.rejected",
            request=request,
            decided=True,
            detail={"check_id": check.pk},
        ):
            raise LicenceStateError(_("Someone else decided on this licence a moment ago."))
        _tell_counselor(
            licence=licence,
            kind="licence.rejected",
            message=lambda: (
                _("Your licence %(number)s was not verified: %(reason)s") % {"number": licence.number, "reason": reason}
            ),
        )
    return check


def licence_suspend(*, licence: Licence, admin: User, reason: str, request=None) -> None:
    """The issuing body suspended the licence (or a complaint is being investigated)."""
    _change_by_admin(
        licence=licence,
        admin=admin,
        to_state=LicenceState.SUSPENDED,
        reason=reason,
        action="licence.suspended",
        request=request,
    )


def licence_revoke(*, licence: Licence, admin: User, reason: str, request=None) -> None:
    _change_by_admin(
        licence=licence,
        admin=admin,
        to_state=LicenceState.REVOKED,
        reason=reason,
        action="licence.revoked",
        request=request,
    )


def licence_reinstate(*, licence: Licence, admin: User, reason: str, request=None) -> None:
    """A suspension ended. Makes the licence valid again, so the four-eyes rule applies as to verifying."""
    _require_four_eyes(licence=licence, actor=admin)
    _change_by_admin(
        licence=licence,
        admin=admin,
        to_state=LicenceState.VERIFIED,
        reason=reason,
        action="licence.reinstated",
        request=request,
    )


def _change_by_admin(*, licence, admin, to_state, reason, action, request) -> None:
    _require_admin(admin)
    if not reason.strip():
        raise LicenceError(_("Give a reason; it is kept in the audit log."))
    with transaction.atomic():
        if not _transition(
            licence=licence, to_state=to_state, actor=admin, reason=reason, action=action, request=request, decided=True
        ):
            raise LicenceStateError(_("Someone else changed this licence a moment ago."))
        _tell_counselor(
            licence=licence,
            kind=action,
            message=lambda: (
                _("Your licence %(number)s is now: %(state)s.")
                % {"number": licence.number, "state": LicenceState(to_state).label}
            ),
        )
        if to_state != LicenceState.VERIFIED:
            licence_lapsed_announce(licence=licence, at=now())


def privilege_record(
    *,
    admin: User,
    home_licence: Licence,
    agreement: PracticeAgreement,
    jurisdiction: Jurisdiction,
    privilege_number: str = "",
    request=None,
) -> CompactPrivilege:
    """Record a compact privilege an admin has confirmed with the compact's data system."""
    _require_admin(admin)
    _require_four_eyes(licence=home_licence, actor=admin)
    member_ids = set(agreement.members.values_list("pk", flat=True))
    if home_licence.jurisdiction_id not in member_ids or jurisdiction.pk not in member_ids:
        raise LicenceError(
            _("Both the home licence's jurisdiction and the privilege's must be members of %(name)s.")
            % {"name": agreement.name}
        )
    if not agreement.covers_kind(home_licence.kind):
        raise LicenceError(_("%(name)s does not cover this kind of licence.") % {"name": agreement.name})
    if jurisdiction.pk == home_licence.jurisdiction_id:
        raise LicenceError(_("A privilege is for another member jurisdiction than the home licence's."))
    if home_licence.state != LicenceState.VERIFIED:
        raise LicenceError(_("The home licence must be verified first."))
    with transaction.atomic():
        privilege, created = CompactPrivilege.objects.get_or_create(
            home_licence=home_licence,
            jurisdiction=jurisdiction,
            defaults={
                "counselor_id": home_licence.counselor_id,
                "agreement": agreement,
                "privilege_number": privilege_number.strip(),
                "recorded_by": admin,
            },
        )
        if not created:
            if privilege.revoked_at is None:
                raise LicenceError(_("This privilege is already recorded."))
            privilege.revoked_at = None
            privilege.privilege_number = privilege_number.strip() or privilege.privilege_number
            privilege.recorded_by, privilege.recorded_at = admin, now()
            privilege.save(update_fields=["revoked_at", "privilege_number", "recorded_by", "recorded_at"])
        audit_record(
            actor=admin,
            action="licence.privilege_recorded",
            target=privilege,
            request=request,
            detail={
                "counselor_id": home_licence.counselor_id,
                "home_licence_id": home_licence.pk,
                "agreement": agreement.name,
                "jurisdiction": jurisdiction.code,
            },
        )
    return privilege


def privilege_revoke(*, admin: User, privilege: CompactPrivilege, reason: str, request=None) -> None:
    _require_admin(admin)
    with transaction.atomic():
        if not CompactPrivilege.objects.filter(pk=privilege.pk, revoked_at__isnull=True).update(revoked_at=now()):
            raise LicenceStateError(_("This privilege is already revoked."))
        audit_record(
            actor=admin,
            action="licence.privilege_revoked",
            target=privilege,
            request=request,
            detail={"counselor_id": privilege.counselor_id, "reason": reason[:500]},
        )
        privilege.refresh_from_db()


def licence_evidence_read(*, licence: Licence, viewer: User, request=None) -> tuple[bytes, str, str]:
    """The decrypted evidence document, for an admin; every read is audit-logged."""
    _require_admin(viewer)
    if not licence.has_evidence:
        raise LicenceError(_("No document was uploaded with this licence."))
    audit_record(
        actor=viewer,
        action="licence.evidence_viewed",
        target=licence,
        request=request,
        detail={"counselor_id": licence.counselor_id},
    )
    data = open_sealed(owner_id=licence.counselor_id, sealed=licence.evidence_sealed, context=licence.evidence_context)
    return data, licence.evidence_filename, licence.evidence_content_type


def lapse_notice_dismiss(*, client: User, notice_id: int) -> None:
    LapseNotice.objects.filter(pk=notice_id, client=client, dismissed_at__isnull=True).update(dismissed_at=now())


# The daily expiry job.


@dataclass
class ExpirySweepReport:
    expired: int = 0
    warned_60: int = 0
    warned_14: int = 0
    clients_notified: int = 0


def licences_expiry_sweep(*, at: datetime) -> ExpirySweepReport:
    """Warn 60 and 14 days before expiry, mark expired licences, tell their clients. Safe to run twice.

    `at` is the time the job runs for (tests pass it; the task passes the clock's now). Each
    warning is claimed with a conditional update on its own timestamp, each expiry with one on the
    state, and each client notice is unique per client and licence, so nothing happens twice.
    """
    report = ExpirySweepReport()
    day = _day(at)
    lapsing = [LicenceState.SUBMITTED, LicenceState.VERIFIED, LicenceState.SUSPENDED]
    for licence_id in Licence.objects.filter(state__in=lapsing, expires_on__lt=day).values_list("pk", flat=True):
        with transaction.atomic():
            licence = Licence.objects.select_related("jurisdiction").get(pk=licence_id)
            if licence.state not in lapsing or licence.expires_on >= day:
                continue
            was_valid = licence.state == LicenceState.VERIFIED
            if _transition(
                licence=licence,
                to_state=LicenceState.EXPIRED,
                actor=None,
                reason=f"expired on {licence.expires_on.isoformat()}",
                action="licence.expired",
            ):
                report.expired += 1
                _tell_counselor(
                    licence=licence,
                    kind="licence.expired",
                    message=lambda licence=licence: (
                        _(
                            "Your licence %(number)s expired on %(day)s. Clients in its "
                            "jurisdiction can no longer book you until a renewed licence is "
                            "verified."
                        )
                        % {"number": licence.number, "day": licence.expires_on}
                    ),
                )
                if was_valid:
                    report.clients_notified += licence_lapsed_announce(licence=licence, at=at)
    for days in WARNING_DAYS:
        field = f"warned_{days}_at"
        due = Licence.objects.filter(
            state=LicenceState.VERIFIED,
            expires_on__gte=day,
            expires_on__lte=day + timedelta(days=days),
            **{f"{field}__isnull": True},
        )
        for licence in due.select_related("jurisdiction", "counselor"):
            updates = {field: at}
            if days == 14:
                # A licence first seen inside 14 days gets the 14-day warning only, never a late 60-day one.
                updates["warned_60_at"] = Coalesce(F("warned_60_at"), at)
            with transaction.atomic():
                if not Licence.objects.filter(pk=licence.pk, **{f"{field}__isnull": True}).update(**updates):
                    continue
                days_left = (licence.expires_on - day).days
                audit_record(
                    actor=None,
                    action="licence.expiry_warned",
                    target=licence,
                    detail={"counselor_id": licence.counselor_id, "warning": days, "days_left": days_left},
                )
                _tell_counselor(
                    licence=licence,
                    kind="licence.expiry_warning",
                    email=True,
                    message=lambda licence=licence, days_left=days_left: (
                        _(
                            "Your licence %(number)s (%(place)s) expires on %(day)s, in %(days)s days. "
                            "Please submit the renewed licence so an admin can verify it in time."
                        )
                        % {
                            "number": licence.number,
                            "place": licence.jurisdiction.name,
                            "day": licence.expires_on,
                            "days": days_left,
                        }
                    ),
                    extra={"days_left": days_left},
                )
            setattr(report, f"warned_{days}", getattr(report, f"warned_{days}") + 1)
    if report.expired or report.warned_60 or report.warned_14:
        log.info("Licence expiry sweep for %s: %s", day, report)
    return report


def _tell_counselor(
    *, licence: Licence, kind: str, message: Callable[[], str], email: bool = False, extra: dict | None = None
) -> None:
    """Tell the counselor on their open pages (and by e-mail) in their own language: `message` builds the text
    inside it, whoever's request or job this runs in."""
    with translation.override(language_of(licence.counselor)):
        text = message()
        payload = {
            "type": kind,
            "id": licence.pk,
            "licence_id": licence.pk,
            "title": text,
            "message": text,
            "url": reverse("licensing:my_licences"),
            "link": _("My licences"),
            **(extra or {}),
        }
    notify_user_on_commit(user_id=licence.counselor_id, payload=payload)
    if email:
        email_person(
            recipient=licence.counselor,
            subject=lambda: _("Your licence expires soon"),
            body=lambda link: f"{message()}\n\n{link}",
            link_path=payload["url"],
        )


def licence_lapsed_announce(*, licence: Licence, at: datetime) -> int:
    """Tell the apps above that this licence lapsed (sessions tells the clients it affects and closes the
    counselor's chats). Returns how many clients were newly told. Must run inside the caller's transaction."""
    responses = licence_lapsed.send(sender=Licence, licence=licence, at=at)
    return sum(told for _receiver, told in responses if isinstance(told, int))


def practice_rule_snapshot(*, rule: PracticeRule) -> dict:
    """What a practice rule says, as the audit log keeps it (no personal data)."""
    return {
        "jurisdiction": rule.jurisdiction.code,
        "profession": rule.profession,
        "is_active": rule.is_active,
        "checked_on": rule.checked_on.isoformat() if rule.checked_on else "",
        "legal_basis": rule.legal_basis[:500],
        "credentials": [
            {"label": c.label, "kinds": c.licence_kinds, "anywhere": c.anywhere_in_jurisdiction}
            for c in rule.credentials.all()
        ],
    }


def practice_rule_change_record(*, rule: PracticeRule, actor: User, action: str, request=None) -> None:
    """Audit an admin's change to a practice rule (added, changed or deleted), with the rule as it now reads.

    The rows decide who may counsel where, so every change says who made it and what the rule became.
    """
    _require_admin(actor)
    audit_record(
        actor=actor,
        action=f"practice_rule.{action}",
        target=rule,
        request=request,
        detail=practice_rule_snapshot(rule=rule),
    )
