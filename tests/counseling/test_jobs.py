from datetime import timedelta

from celery.schedules import crontab

from counseling import embedded_jobs
from counseling.celery import app as celery_app


def test_every_scheduled_job_names_a_registered_task(settings):
    celery_app.loader.import_default_modules()
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in celery_app.tasks, f"schedule entry {name} names an unknown task"


def test_embedded_scheduler_runs_interval_jobs_at_start_and_cron_jobs_at_their_time(settings):
    from counseling.clock import now

    settings.CELERY_BEAT_SCHEDULE = {
        "every-minute": {"task": "x", "schedule": timedelta(seconds=60)},
        "nightly": {"task": "y", "schedule": crontab(hour=2, minute=30)},
    }
    last_runs: dict = {}
    start = now()
    assert embedded_jobs.due_jobs(last_runs=last_runs, at=start) == ["every-minute"]
    last_runs["every-minute"] = now()
    assert embedded_jobs.due_jobs(last_runs=last_runs, at=now()) == []
    last_runs["every-minute"] = now() - timedelta(seconds=61)
    last_runs["nightly"] = now() - timedelta(days=1, minutes=1)
    assert sorted(embedded_jobs.due_jobs(last_runs=last_runs, at=now())) == ["every-minute", "nightly"]
