import logging

from celery import shared_task

from counseling.audit import audit_chain_verify, audit_record

log = logging.getLogger(__name__)


@shared_task(name="counseling.tasks.audit_chain_verify")
def audit_chain_verify_task() -> bool:
    report = audit_chain_verify()
    if not report.ok:
        log.error("Audit chain broken after %s entries: %s", report.checked, report.problem)
        audit_record(actor=None, action="audit.chain_broken", detail={"problem": report.problem})
    return report.ok
