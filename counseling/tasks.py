import logging

from celery import shared_task

from counseling.audit import audit_chain_verify, audit_head_export, audit_record

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
