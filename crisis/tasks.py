"""Escalation jobs. Ids only in arguments; every job is safe to run twice (the services claim their work
with conditional updates), and the minute sweep re-drives whatever a lost task or a dead worker left.

acks_late + task_reject_on_worker_lost: a task whose worker dies is delivered again. The task names are
the ones first deployed (django-celery-beat rows and queued messages refer to them).
"""

from celery import shared_task

from crisis import services

RELIABLE = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(name="counseling.tasks.escalation_check_message", **RELIABLE)
def escalation_check_message(message_id: int) -> int | None:
    escalation = services.message_risk_check(message_id=message_id)
    return escalation.pk if escalation else None


@shared_task(name="crisis.tasks.escalation_check_measure", **RELIABLE)
def escalation_check_measure(response_id: int) -> int | None:
    escalation = services.measure_item9_check(response_id=response_id)
    return escalation.pk if escalation else None


@shared_task(name="counseling.tasks.escalation_deliver", **RELIABLE)
def escalation_deliver(escalation_id: int) -> int:
    return services.escalation_deliver(escalation_id=escalation_id)


@shared_task(name="counseling.tasks.escalation_advance", **RELIABLE)
def escalation_advance(escalation_id: int) -> bool:
    return services.escalation_advance(escalation_id=escalation_id)


@shared_task(name="counseling.tasks.escalation_sweep", **RELIABLE)
def escalation_sweep() -> dict:
    return services.escalation_sweep()
