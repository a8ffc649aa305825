"""The append-only, hash-chained audit log: who saw or changed what, when, from where.

Every app writes here through `audit_record`; nothing updates or deletes an entry. Each entry's
hash covers its content and the previous entry's hash, so an edited, inserted or deleted row
breaks the chain and `manage.py verify_audit_log` (and the nightly job) names the first bad row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.db.models import F

from counseling.clock import now
from counseling.models import AuditChainHead, AuditEntry


def client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    actor,
    action: str,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: Any = "",
    subject=None,
    request=None,
    ip_address: str | None = None,
    detail: dict | None = None,
) -> AuditEntry:
    """Append one entry. Runs in (or opens) a transaction; never put plaintext client data in detail.

    `subject` is the client whose data this concerns (a user or a user id), so a client's own
    history can be found and exported.
    """
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target.pk
    actor_id = getattr(actor, "pk", None)
    actor_label = getattr(actor, "email", "") if actor_id else (str(actor) if actor else "system")
    subject_id = getattr(subject, "pk", subject)
    with transaction.atomic():
        # Updating the head first takes its row lock (PostgreSQL) or the write lock (SQLite), so
        # concurrent appends queue up and the chain cannot fork.
        AuditChainHead.objects.get_or_create(pk=1)
        AuditChainHead.objects.filter(pk=1).update(length=F("length") + 1)
        head = AuditChainHead.objects.get(pk=1)
        entry = AuditEntry(
            sequence=head.length,
            at=now(),
            actor_id=actor_id,
            actor_label=actor_label[:254],
            action=action,
            target_type=str(target_type)[:64],
            target_id=str(target_id)[:64],
            subject_id=subject_id,
            ip_address=ip_address or client_ip(request),
            detail=detail or {},
            prev_hash=head.last_hash,
        )
        entry.entry_hash = entry.compute_hash()
        entry.save()
        AuditChainHead.objects.filter(pk=1).update(last_hash=entry.entry_hash)
    return entry


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    problem: str = ""


def audit_chain_verify(*, batch_size: int = 2000) -> ChainReport:
    """Walk the whole chain. Detects edited rows (hash), deleted or inserted rows (sequence/link)."""
    expected_prev = "0" * 64
    expected_sequence = 1
    checked = 0
    last_sequence = 0
    while True:
        batch = list(AuditEntry.objects.filter(sequence__gt=last_sequence).order_by("sequence")[:batch_size])
        for entry in batch:
            if entry.sequence != expected_sequence:
                return ChainReport(
                    False, checked, f"entry #{expected_sequence} is missing (next found is #{entry.sequence})"
                )
            if entry.prev_hash != expected_prev:
                return ChainReport(False, checked, f"entry #{entry.sequence} does not link to the one before")
            if entry.compute_hash() != entry.entry_hash:
                return ChainReport(False, checked, f"entry #{entry.sequence} was altered")
            expected_prev = entry.entry_hash
            expected_sequence += 1
            checked += 1
            last_sequence = entry.sequence
        if len(batch) < batch_size:
            break
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.length != checked or head.last_hash != expected_prev):
        return ChainReport(
            False,
            checked,
            f"the chain ends at #{checked} but {head.length} entries were written: the latest entries were removed",
        )
    return ChainReport(True, checked)
