"""Writes of intake and identity: the intake answers, the ID document and its review and destruction,
the code word, and the location confirmed before each session (ACA H.3, HHS emergency planning).

Keyword-only functions, each in one transaction with its audit entry. Personal data is sealed under
the client's data key and never appears in audit detail, logs or task arguments.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from counseling.audit import audit_record
from counseling.clock import now
from counseling.crypto import open_sealed, seal
from counseling.documents import clean_document
from counseling.mail import language_of
from counseling.notifications import notify_user_on_commit
from identity.models import (
    CodeWord,
    CodeWordCheck,
    CodeWordOverride,
    IdentityDocument,
    IdentityDocumentStatus,
    Intake,
    SuitabilityOverride,
)
from identity.selectors import code_word_locked

# The answers kept in the sealed blob. Anything not listed here is dropped before sealing.
INTAKE_ANSWER_KEYS = (
    "legal_name",
    "date_of_birth",
    "phone",
    "country",
    "region",
    "emergency_contact_name",
    "emergency_contact_relation",
    "emergency_contact_phone",
    "other_providers",
    "connection_drop_plan",
    "guardian_name",
    "guardian_contact",
    "suitable_text",
    "suitable_private",
    "suitable_language",
)


class CodeWordLocked(Exception):
    """Too many wrong code-word answers lately: no more checks until the window has passed."""


def age_of_majority(country: str) -> int:
    return settings.AGE_OF_MAJORITY_BY_COUNTRY.get(country.upper(), settings.AGE_OF_MAJORITY_DEFAULT)


def age_on(*, born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def is_minor(*, born: date, country: str) -> bool:
    return age_on(born=born, day=now().date()) < age_of_majority(country)


def minor_policy_error(*, born: date, country: str, guardian_consent: bool) -> str:
    """Why a minor's intake cannot be accepted under MINOR_POLICY, or "" when it can."""
    if not is_minor(born=born, country=country):
        return ""
    if settings.MINOR_POLICY == "guardian_consent":
        if guardian_consent:
            return ""
        return _(
            "You are under the age of majority where you live: a parent or guardian must consent. "
            "Give their name and contact and confirm their consent below."
        )
    return _(
        "This service is for adults. Please ask a parent, guardian, school counselor or doctor for "
        "help, or use the emergency numbers below if you are in danger."
    )


def intake_submit(
    *,
    client,
    answers: dict,
    emergency_contact_authorised: bool,
    guardian_consent: bool = False,
    code_word: str = "",
    request=None,
) -> Intake:
    """Store (or replace) the client's intake. `answers` is already validated by IntakeForm.

    Fails with ValidationError if the minor rule refuses it, or if a first intake has no code word.
    """
    if not client.is_client:
        raise PermissionDenied
    born = date.fromisoformat(answers["date_of_birth"])
    error = minor_policy_error(born=born, country=answers["country"], guardian_consent=guardian_consent)
    if error:
        raise ValidationError(error, code="minor")
    kept = {key: answers.get(key, "") for key in INTAKE_ANSWER_KEYS}
    minor = is_minor(born=born, country=answers["country"])
    suitable = all(bool(kept[key]) for key in ("suitable_text", "suitable_private", "suitable_language"))
    with transaction.atomic():
        intake = Intake.objects.select_for_update().filter(client=client).first()
        if intake is None and not code_word and not CodeWord.objects.filter(client=client).exists():
            raise ValidationError(_("Choose a code word."), code="code_word")
        intake = intake or Intake(client=client)
        intake.answers_sealed = seal(owner_id=client.pk, plaintext=json.dumps(kept), context=f"intake:{client.pk}")
        intake.emergency_contact_authorised = bool(emergency_contact_authorised)
        intake.has_connection_plan = bool(kept["connection_drop_plan"].strip())
        intake.is_minor = minor
        intake.guardian_consent_recorded = bool(minor and guardian_consent)
        intake.suitability_passed = suitable
        intake.updated_at = now()
        created = intake._state.adding
        intake.save()
        if code_word:
            code_word_set(client=client, code_word=code_word, request=request)
        audit_record(
            actor=client,
            action="intake.submitted" if created else "intake.updated",
            target=intake,
            subject=client,
            request=request,
            detail={
                "minor": minor,
                "suitability_passed": suitable,
                "emergency_contact_authorised": intake.emergency_contact_authorised,
            },
        )
    return intake


def code_word_set(*, client, code_word: str, request=None) -> CodeWord:
    """Set or change the code word. Hashed like a password; the word itself is never stored."""
    normalised = " ".join(code_word.split()).casefold()
    with transaction.atomic():
        row, _created = CodeWord.objects.update_or_create(
            client=client, defaults={"hashed": make_password(normalised), "set_at": now()}
        )
        audit_record(actor=client, action="code_word.set", target=row, subject=client, request=request)
    return row


def code_word_check(*, session, attempt: str, actor=None, request=None, ip_address: str | None = None) -> bool:
    """Does `attempt` match the session client's code word? Answers only True or False.

    The attempt comes from the client (typed privately, never into the chat); the counselor sees
    only the stored result (sessions.selectors.code_word_result_for). After
    CODE_WORD_FAILURE_LIMIT wrong answers within CODE_WORD_FAILURE_WINDOW_MINUTES it raises
    CodeWordLocked without checking, so the word cannot be guessed through the chat.
    """
    client = session.client
    actor = actor or client
    if actor.pk not in (session.client_id, session.counselor_id):
        raise PermissionDenied
    with transaction.atomic():
        row = CodeWord.objects.select_for_update().filter(client=client).first()
        if code_word_locked(client=client):
            audit_record(
                actor=actor,
                action="code_word.locked",
                target=session,
                subject=client,
                request=request,
                ip_address=ip_address,
            )
            locked = True
        else:
            locked = False
            normalised = " ".join((attempt or "").split()).casefold()
            matched = bool(row and normalised and check_password(normalised, row.hashed))
            CodeWordCheck.objects.create(client=client, session=session, matched=matched)
            audit_record(
                actor=actor,
                action="code_word.checked",
                target=session,
                subject=client,
                request=request,
                ip_address=ip_address,
                detail={"matched": matched},
            )
            notify_user_on_commit(
                user_id=session.counselor_id, payload={"type": "code_word.checked", "session_id": session.pk}
            )
    if locked:
        raise CodeWordLocked
    return matched


CODE_WORD_OVERRIDE_REASON_MAX_CHARS = 500


def code_word_override_record(
    *, session, counselor, reason: str, request=None, ip_address: str | None = None
) -> CodeWordOverride:
    """The session's counselor goes on without a matching code word and writes down why (ACA H.3).

    The reason is sealed under the client's data key; the audit entry names the row, the session and who
    wrote it, never the reason itself (the audit log cannot be shredded). Raises ValidationError (code
    "reason_missing", "reason_too_long" or "reason_invalid") with a message the counselor can act on.
    """
    if counselor.pk != session.counselor_id:
        raise PermissionDenied
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError(
            _(
                'Write down why you go on without a matching code word, for example "a voice I know" or '
                '"the client is in crisis and must not wait".'
            ),
            code="reason_missing",
        )
    if len(reason) > CODE_WORD_OVERRIDE_REASON_MAX_CHARS:
        raise ValidationError(
            _("Keep the reason to %(n)s characters.") % {"n": CODE_WORD_OVERRIDE_REASON_MAX_CHARS},
            code="reason_too_long",
        )
    try:
        reason.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate ("\ud800") is valid JSON but not text
        raise ValidationError(
            _("The reason contains characters that are not valid text."), code="reason_invalid"
        ) from None
    with transaction.atomic():
        row = CodeWordOverride(client_id=session.client_id, session=session, overridden_by=counselor, ref=uuid.uuid4())
        row.reason_sealed = seal(owner_id=session.client_id, plaintext=reason, context=row.aad)
        row.save()
        audit_record(
            actor=counselor,
            action="code_word.overridden",
            target=row,
            subject=session.client_id,
            request=request,
            ip_address=ip_address,
            detail={"session": session.pk},
        )
    return row


SUITABILITY_OVERRIDE_REASON_MAX_CHARS = 2000


def suitability_override_record(*, client, counselor, reason: str, request=None) -> SuitabilityOverride:
    """The counselor read the intake of a client whose suitability screen did not pass and decides that text
    counseling with them may go on, writing down why. From then the identity gate passes for the two of them.

    The reason is sealed under the client's data key; the audit entry names the row, never the reason. Raises
    ValidationError (code "reason_missing", "reason_too_long") with a message the counselor can act on.
    Whether this counselor may decide for this client (a request of theirs) is the caller's check.
    """
    if not counselor.is_counselor:
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            _("Write down why text counseling may go on although the screen did not pass."), code="reason_missing"
        )
    if len(reason) > SUITABILITY_OVERRIDE_REASON_MAX_CHARS:
        raise ValidationError(
            _("Keep the reason to %(n)s characters.") % {"n": SUITABILITY_OVERRIDE_REASON_MAX_CHARS},
            code="reason_too_long",
        )
    with transaction.atomic():
        row = SuitabilityOverride(client=client, counselor=counselor, ref=uuid.uuid4())
        row.reason_sealed = seal(owner_id=client.pk, plaintext=reason, context=row.aad)
        row.save()
        audit_record(actor=counselor, action="suitability.overridden", target=row, subject=client, request=request)
    return row


def identity_document_upload(*, client, name: str, data: bytes, request=None) -> IdentityDocument:
    """Check the upload by content, seal what is kept of it (an image re-encoded without its EXIF, a checked PDF)
    under the client's key and queue it for review.

    Raises counseling.documents.DocumentRefused with a code; nothing is stored then.
    """
    if not client.is_client:
        raise PermissionDenied
    found = clean_document(
        name=name,
        data=data,
        max_bytes=settings.IDENTITY_DOCUMENT_MAX_BYTES,
        max_pixels=settings.IDENTITY_DOCUMENT_MAX_PIXELS,
    )
    ref = uuid.uuid4()
    with transaction.atomic():
        document = IdentityDocument(client=client, ref=ref, content_type=found.content_type, size_bytes=len(found.data))
        document.content_sealed = seal(owner_id=client.pk, plaintext=found.data, context=document.aad)
        document.save()
        # A new upload replaces a pending one: the queue holds one document per client.
        for old in IdentityDocument.objects.filter(
            client=client, status=IdentityDocumentStatus.PENDING, destroyed_at__isnull=True
        ).exclude(pk=document.pk):
            _destroy(document=old, reason="replaced")
        audit_record(
            actor=client,
            action="identity_document.uploaded",
            target=document,
            subject=client,
            request=request,
            detail={"content_type": found.content_type, "size_bytes": len(found.data)},
        )
    return document


def identity_document_review(
    *, document: IdentityDocument, reviewer, verified: bool, reason: str = "", request=None
) -> IdentityDocument:
    """Verify or reject a pending document, once. A rejection needs a reason the client will read."""
    if not reviewer.is_admin:
        raise PermissionDenied
    if not verified and not reason.strip():
        raise ValidationError(_("Say why the document is rejected; the client will see it."))
    status = IdentityDocumentStatus.VERIFIED if verified else IdentityDocumentStatus.REJECTED
    with transaction.atomic():
        claimed = IdentityDocument.objects.filter(
            pk=document.pk, status=IdentityDocumentStatus.PENDING, destroyed_at__isnull=True
        ).update(
            status=status, reviewed_by=reviewer, reviewed_at=now(), rejection_reason="" if verified else reason.strip()
        )
        if not claimed:
            raise ValidationError(_("This document was already reviewed."))
        document.refresh_from_db()
        audit_record(
            actor=reviewer,
            action=f"identity_document.{status}",
            target=document,
            subject=document.client_id,
            request=request,
        )
        with translation.override(language_of(document.client)):
            notice = {
                "type": "identity_document.reviewed",
                "status": str(status),
                "title": _("Your identity document was verified.")
                if verified
                else _("Your identity document was not accepted. Please upload another one."),
                "url": reverse("intake:identity_upload"),
                "link": _("Open"),
            }
        notify_user_on_commit(user_id=document.client_id, payload=notice)
    return document


def identity_document_content(*, document: IdentityDocument, viewer, request=None) -> bytes:
    """The document's bytes for a reviewing admin. Every view is in the audit log."""
    if not viewer.is_admin:
        raise PermissionDenied
    with transaction.atomic():
        audit_record(
            actor=viewer,
            action="identity_document.viewed",
            target=document,
            subject=document.client_id,
            request=request,
        )
    return open_sealed(owner_id=document.client_id, sealed=document.content_sealed, context=document.aad)


def _destroy(*, document: IdentityDocument, reason: str) -> bool:
    done = IdentityDocument.objects.filter(pk=document.pk, destroyed_at__isnull=True).update(
        content_sealed=None, destroyed_at=now()
    )
    if done:
        audit_record(
            actor=None,
            action="identity_document.destroyed",
            target=document,
            subject=document.client_id,
            detail={"reason": reason},
        )
    return bool(done)


def identity_documents_destroy(*, batch_size: int = 200) -> int:
    """Destroy reviewed documents whose keeping time has passed. Safe to run twice; returns how many.

    Only the result, the reviewer and the time remain (IDENTITY_DOCUMENT_KEEP_DAYS).
    """
    cutoff = now() - timedelta(days=settings.IDENTITY_DOCUMENT_KEEP_DAYS)
    destroyed = 0
    while True:
        batch = list(
            IdentityDocument.objects.filter(
                destroyed_at__isnull=True,
                reviewed_at__isnull=False,
                reviewed_at__lte=cutoff,
            )
            .exclude(status=IdentityDocumentStatus.PENDING)
            .order_by("id")[:batch_size]
        )
        for document in batch:
            with transaction.atomic():
                destroyed += _destroy(document=document, reason="reviewed")
        if len(batch) < batch_size:
            return destroyed
