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


# --- Emergency escalation and retention (issue 8) ----------------------------------------------
# Ids only in arguments. acks_late + task_reject_on_worker_lost: a task whose worker dies is
# delivered again; every one of them is safe to run twice (the services claim their work with
# conditional updates), and the minute sweep re-drives whatever is still left behind.

RELIABLE = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(name="counseling.tasks.escalation_check_message", **RELIABLE)
def escalation_check_message(message_id: int) -> int | None:
    from counseling.escalation import message_risk_check

    escalation = message_risk_check(message_id=message_id)
    return escalation.pk if escalation else None


@shared_task(name="counseling.tasks.escalation_deliver", **RELIABLE)
def escalation_deliver(escalation_id: int) -> int:
    from counseling.escalation import escalation_deliver as deliver

    return deliver(escalation_id=escalation_id)


@shared_task(name="counseling.tasks.escalation_advance", **RELIABLE)
def escalation_advance(escalation_id: int) -> bool:
    from counseling.escalation import escalation_advance as advance

    return advance(escalation_id=escalation_id)


@shared_task(name="counseling.tasks.escalation_sweep", **RELIABLE)
def escalation_sweep() -> dict:
    from counseling.escalation import escalation_sweep as sweep

    return sweep()


@shared_task(name="counseling.tasks.retention_run", **RELIABLE)
def retention_run() -> int:
    from counseling.retention import retention_run as run

    return len(run())


@shared_task(name="counseling.tasks.retention_purge_client", **RELIABLE)
def retention_purge_client(client_id: int) -> bool:
    """One bounded batch of deletes; re-queues itself until the client's rows are gone."""
    from counseling.retention import client_purge_batch

    done = client_purge_batch(client_id=client_id)
    if retention_purge_client.app.conf.task_always_eager:
        while not done:  # embedded default: loop here rather than recurse through eager calls
            done = client_purge_batch(client_id=client_id)
    elif not done:
        retention_purge_client.delay(client_id)
    return done

from counseling import identity_tasks  # noqa: E402,F401  (registers the ID-document destruction job)
