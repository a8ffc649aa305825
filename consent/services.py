"""Writes of the consent app: drafting and publishing versions, accepting, withdrawing, exporting."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from consent.default_text import DEFAULT_CONSENT
from consent.models import (
    ELEMENT_KEYS,
    ELEMENT_TITLES,
    ConsentAcceptance,
    ConsentSection,
    ConsentVersion,
    VersionStatus,
)
from consent.rendering import consent_render
from consent.selectors import (
    consent_acceptances_of_version,
    consent_history_of_client,
    consent_previous_published,
    consent_version_in_force,
)
from consent.signals import consent_withdrawn
from counseling.audit import audit_record, client_ip
from counseling.clock import now
from counseling.models import Role


def consent_draft_create(*, language: str, created_by, request=None) -> ConsentVersion:
    """A new draft for `language`, starting from the newest version's text. One draft per language."""
    with transaction.atomic():
        existing = ConsentVersion.objects.filter(language=language, status=VersionStatus.DRAFT).first()
        if existing is not None:
            return existing
        base = ConsentVersion.objects.filter(language=language).order_by("-number").first()
        number = (ConsentVersion.objects.filter(language=language).aggregate(n=Max("number"))["n"] or 0) + 1
        version = ConsentVersion.objects.create(
            language=language, number=number, created_by=created_by, effective_at=now()
        )
        base_sections = {section.key: section for section in base.sections.all()} if base else {}
        for position, key in enumerate(ELEMENT_KEYS):
            source = base_sections.get(key)
            ConsentSection.objects.create(
                version=version,
                key=key,
                position=position,
                title=source.title if source else str(ELEMENT_TITLES[key]),
                body=source.body if source else "",
            )
        audit_record(
            actor=created_by,
            action="consent.version_drafted",
            target=version,
            request=request,
            detail={"language": language, "number": number},
        )
    return version


def consent_defaults_publish(*, actor=None) -> list[ConsentVersion]:
    """Publish the default text (consent.default_text) as version 1 of each language that has no version.

    The data migration does the same on a fresh install; this is for databases emptied since (test
    databases flushed between transactional tests, a wiped demo). Safe to run twice.
    """
    published = []
    with transaction.atomic():
        for language, document in DEFAULT_CONSENT.items():
            if ConsentVersion.objects.filter(language=language).exists():
                continue
            at = now()
            version = ConsentVersion.objects.create(
                language=language,
                number=1,
                effective_at=at,
                change_summary=document["change_summary"],
                created_by=actor,
            )
            for position, (key, (title, body)) in enumerate(document["sections"].items()):
                ConsentSection.objects.create(version=version, key=key, position=position, title=title, body=body)
            published.append(consent_version_publish(version=version, actor=actor))
    return published


def consent_draft_update(
    *,
    version: ConsentVersion,
    sections: dict[str, dict[str, str]],
    effective_at: datetime,
    change_summary: str,
    actor,
    request=None,
) -> ConsentVersion:
    """Save a draft's text. `sections` maps element key to {"title", "body"}. Published versions refuse."""
    with transaction.atomic():
        version = ConsentVersion.objects.select_for_update().get(pk=version.pk)
        if version.is_published:
            raise ValidationError(_("A published consent version cannot be changed; create a new version."))
        version.effective_at = effective_at
        version.change_summary = change_summary
        version.save(update_fields=["effective_at", "change_summary"])
        for section in version.sections.all():
            if section.key in sections:
                section.title = sections[section.key].get("title", section.title)
                section.body = sections[section.key].get("body", section.body)
                section.save(update_fields=["title", "body"])
        audit_record(
            actor=actor,
            action="consent.version_edited",
            target=version,
            request=request,
            detail={"language": version.language, "number": version.number},
        )
    return version


def consent_version_missing_sections(*, version: ConsentVersion) -> list[str]:
    """Element keys whose section is absent or has an empty title or text."""
    present = {section.key: section for section in version.sections.all()}
    return [
        key
        for key in ELEMENT_KEYS
        if key not in present or not present[key].body.strip() or not present[key].title.strip()
    ]


def consent_version_publish(*, version: ConsentVersion, actor, request=None) -> ConsentVersion:
    """Publish a draft. Refused, naming the sections, while any required section is empty.

    From then on the version is immutable. If its effective date is in the past it takes effect now;
    every acceptance of an older version of the same language stops satisfying the gate then.
    """
    with transaction.atomic():
        version = ConsentVersion.objects.select_for_update().get(pk=version.pk)
        if version.is_published:
            raise ValidationError(_("This version is already published."))
        missing = consent_version_missing_sections(version=version)
        if missing:
            names = ", ".join(f"“{ELEMENT_TITLES[key]}”" for key in missing)
            raise ValidationError(
                _("Cannot publish: these required sections are empty: %(sections)s.") % {"sections": names},
                code="empty_sections",
                params={"missing": missing},
            )
        at = now()
        effective_at = max(version.effective_at, at)
        claimed = ConsentVersion.objects.filter(pk=version.pk, status=VersionStatus.DRAFT).update(
            status=VersionStatus.PUBLISHED, published_at=at, published_by=actor, effective_at=effective_at
        )
        if not claimed:
            raise ValidationError(_("This version is already published."))
        version.refresh_from_db()
        audit_record(
            actor=actor,
            action="consent.version_published",
            target=version,
            request=request,
            detail={
                "language": version.language,
                "number": version.number,
                "effective_at": effective_at.isoformat(),
                "text_sha256": consent_render(version=version).sha256,
            },
        )
    return version


@dataclass(frozen=True)
class SectionDiff:
    key: str
    title: str
    status: str  # "unchanged", "changed", "new"
    lines: list[tuple[str, str]]  # (kind, text): kind is "+", "-" or " "


def consent_version_diff(*, version: ConsentVersion) -> tuple[ConsentVersion | None, list[SectionDiff]]:
    """Section-by-section line diff of `version` against the previous published version of its language."""
    previous = consent_previous_published(version=version)
    before = {section.key: section for section in previous.sections.all()} if previous else {}
    diffs = []
    for section in version.sections.all().order_by("position"):
        old = before.get(section.key)
        old_lines = [old.title, *old.body.splitlines()] if old else []
        new_lines = [section.title, *section.body.splitlines()]
        if old is None:
            diffs.append(SectionDiff(section.key, section.title, "new", [("+", line) for line in new_lines]))
            continue
        if old_lines == new_lines:
            diffs.append(SectionDiff(section.key, section.title, "unchanged", []))
            continue
        lines = []
        for line in difflib.ndiff(old_lines, new_lines):
            if line.startswith(("+ ", "- ", "  ")):
                lines.append((line[0], line[2:]))
        diffs.append(SectionDiff(section.key, section.title, "changed", lines))
    return previous, diffs


def consent_accept(
    *, client, version: ConsentVersion, counselor=None, shown_sha256: str, acknowledged: list[str], request=None
) -> ConsentAcceptance:
    """Record the client's acceptance of `version` as rendered to them (with `counselor`'s disclosure).

    Refused if the version is no longer the one in force, if any section was not acknowledged, or if
    the text rendered now is not the text whose hash the page showed (it changed while they read).
    """
    if getattr(client, "role", None) != Role.CLIENT:
        raise ValidationError(_("Only a client can give consent to counseling."), code="not_client")
    missing = [key for key in ELEMENT_KEYS if key not in set(acknowledged)]
    if missing:
        raise ValidationError(_("Please confirm that you have read every section."), code="unacknowledged")
    in_force = consent_version_in_force(language=version.language)
    if in_force is None or in_force.pk != version.pk:
        raise ValidationError(
            _("These terms have just been replaced by a new version. Please read it."), code="stale_version"
        )
    rendered = consent_render(version=version, counselor=counselor)
    if rendered.sha256 != shown_sha256:
        raise ValidationError(_("The text changed while you were reading. Please read it again."), code="text_changed")
    user_agent = request.META.get("HTTP_USER_AGENT", "")[:400] if request is not None else ""
    with transaction.atomic():
        acceptance = ConsentAcceptance.objects.create(
            client=client,
            version=version,
            counselor=counselor,
            language=version.language,
            text_sha256=rendered.sha256,
            rendered_text=rendered.text,
            acknowledged_sections=[key for key in ELEMENT_KEYS],
            accepted_at=now(),
            ip_address=client_ip(request),
            user_agent=user_agent,
        )
        audit_record(
            actor=client,
            action="consent.accepted",
            target=acceptance,
            subject=client,
            request=request,
            detail={
                "version_id": version.pk,
                "number": version.number,
                "language": version.language,
                "counselor_id": getattr(counselor, "pk", None),
                "text_sha256": rendered.sha256,
            },
        )
    return acceptance


def consent_withdraw(*, client, request=None) -> int:
    """Withdraw every consent in force; cancel future sessions and close chats. Returns sessions cancelled.

    The acceptances stay (withdrawn, not deleted): they are records kept per the retention policy.
    """
    with transaction.atomic():
        at = now()
        ids = list(
            ConsentAcceptance.objects.select_for_update()
            .filter(client=client, withdrawn_at__isnull=True)
            .values_list("pk", flat=True)
        )
        ConsentAcceptance.objects.filter(pk__in=ids, withdrawn_at__isnull=True).update(withdrawn_at=at)
        responses = consent_withdrawn.send(sender=ConsentAcceptance, client=client, actor=client, request=request)
        cancelled = sum(count for _receiver, count in responses if isinstance(count, int))
        audit_record(
            actor=client,
            action="consent.withdrawn",
            target=client,
            subject=client,
            request=request,
            detail={"acceptance_ids": ids, "sessions_cancelled": cancelled},
        )
    return cancelled


def consent_acceptances_list(*, version: ConsentVersion, actor, request=None) -> list[ConsentAcceptance]:
    """Who accepted `version`, for an admin. The read of client records is itself audit-logged."""
    acceptances = list(consent_acceptances_of_version(version=version))
    audit_record(
        actor=actor,
        action="consent.acceptances_viewed",
        target=version,
        request=request,
        detail={"count": len(acceptances)},
    )
    return acceptances


def consent_history_export(*, client, actor, request=None) -> list[dict]:
    """One client's consent history for export; the export is audit-logged against the client."""
    rows = consent_history_of_client(client=client)
    audit_record(
        actor=actor,
        action="consent.history_exported",
        target=client,
        subject=client,
        request=request,
        detail={"rows": len(rows)},
    )
    return rows
