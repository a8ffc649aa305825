"""Retention jobs. Ids only in arguments; safe to run twice. The task names are the ones first deployed
(django-celery-beat rows and queued messages refer to them)."""

from celery import shared_task

from records import services

RELIABLE = {"acks_late": True, "reject_on_worker_lost": True}


@shared_task(name="counseling.tasks.retention_run", **RELIABLE)
def retention_run() -> int:
    return len(services.retention_run())


@shared_task(name="counseling.tasks.retention_purge_client", **RELIABLE)
def retention_purge_client(client_id: int) -> bool:
    """One bounded batch of deletes; re-queues itself until the client's rows are gone."""
    done = services.client_purge_batch(client_id=client_id)
    if retention_purge_client.app.conf.task_always_eager:
        while not done:  # embedded default: loop here rather than recurse through eager calls
            done = services.client_purge_batch(client_id=client_id)
    elif not done:
        retention_purge_client.delay(client_id)
    return done
