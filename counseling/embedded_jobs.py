"""The embedded default's stand-in for Celery beat: periodic jobs on the ASGI server's event loop.

Why here and not in a separate process: the in-memory channel layer reaches only its own process,
so a job that pushes a real-time alert (an escalation) must run inside the server that holds the
sockets. The schedule is the same CELERY_BEAT_SCHEDULE that beat reads in production; each due
job runs in a worker thread (sync_to_async) and its alerts come back to this loop.

With REDIS_URL set this is off: Celery beat and workers run the same tasks on Redis.
"""

import asyncio
import logging

from asgiref.sync import sync_to_async
from django.conf import settings

from counseling.celery import app as celery_app
from counseling.clock import now

log = logging.getLogger(__name__)
TICK_SECONDS = 5


def due_jobs(*, last_runs: dict, at) -> list[str]:
    """Names of schedule entries due at `at`, given when each last ran (None: never)."""
    due = []
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        schedule = entry["schedule"]
        if not hasattr(schedule, "is_due"):
            from celery.schedules import schedule as every

            schedule = every(schedule)
        last = last_runs.get(name)
        if last is None:
            last_runs[name] = at
            # Interval jobs run at start-up; cron jobs wait for their time.
            if not hasattr(entry["schedule"], "hour"):
                due.append(name)
            continue
        is_due, _next = schedule.is_due(last)
        if is_due:
            due.append(name)
    return due


def run_job(name: str) -> None:
    # Task modules are imported on first use (the worker does it at start-up); without this the
    # server process knows none of the project's tasks.
    celery_app.loader.import_default_modules()
    entry = settings.CELERY_BEAT_SCHEDULE[name]
    task = celery_app.tasks[entry["task"]]
    task.apply(args=entry.get("args", ()), kwargs=entry.get("kwargs", {}))


async def scheduler_loop() -> None:
    last_runs: dict = {}
    while True:
        for name in due_jobs(last_runs=last_runs, at=now()):
            last_runs[name] = now()
            try:
                await sync_to_async(run_job, thread_sensitive=False)(name)
            except Exception:
                log.exception("Embedded job %s failed; it runs again at its next time", name)
        await asyncio.sleep(TICK_SECONDS)


def with_embedded_scheduler(application):
    state = {"task": None}

    async def app(scope, receive, send):
        if state["task"] is None:
            state["task"] = asyncio.get_running_loop().create_task(scheduler_loop())
            log.info("Embedded job scheduler started (no REDIS_URL)")
        await application(scope, receive, send)

    return app
