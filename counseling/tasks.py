import logging

from celery import shared_task

from counseling.audit import audit_chain_verify, audit_head_export, audit_record
from counseling.kek_epochs import kek_epochs_rewrap, kek_epochs_status, kek_next_epoch_missing

log = logging.getLogger(__name__)


@shared_task(name="counseling.tasks.audit_chain_verify")
def audit_chain_verify_task() -> bool:
    report = audit_chain_verify()
    if not report.ok:
        log.error("Audit chain broken after %s entries (%s): %s", report.checked, report.kind, report.problem)
        audit_record(actor=None, action="audit.chain_broken", detail={"problem": report.problem, "kind": report.kind})
    return report.ok


@shared_task(name="counseling.tasks.audit_head_export")
def audit_head_export_task() -> int | None:
    """Export the audit log's head outside the database if it moved (settings: AUDIT_HEAD_SINK)."""
    head = audit_head_export()
    return head["sequence"] if head else None


@shared_task(name="counseling.tasks.kek_epoch_rewrap")
def kek_epoch_rewrap_task() -> int:
    """Move live data keys to the current KEK epoch; log what the operator must do (docs/security.md)."""
    moved = kek_epochs_rewrap()
    for epoch in kek_epochs_status():
        if epoch.state in {"retire", "overdue", "remove"}:
            log.error("KEK epoch %s: %s (manage.py kek_epoch_status)", epoch.kek_id, epoch.state)
    if kek_next_epoch_missing():
        log.error("The current KEK epoch has run KEK_EPOCH_DAYS and no next key is provisioned")
    return sum(moved.values())
