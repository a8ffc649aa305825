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


def test_every_scheduled_job_runs_in_a_fresh_embedded_process(tmp_path):
    """The embedded default runs beat's schedule itself: each job must run in a process that has
    imported nothing but the settings (as the ASGI server has), on a freshly migrated database."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}}
    env["SQLITE_PATH"] = str(tmp_path / "embedded.sqlite3")
    env["AUDIT_HEAD_FILE"] = str(tmp_path / "audit-heads.jsonl")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=root, env=env, check=True, timeout=300)
    script = (
        "from django.conf import settings\n"
        "from counseling.embedded_jobs import run_job\n"
        "for name in settings.CELERY_BEAT_SCHEDULE:\n"
        "    run_job(name)\n"
        "    print('ran', name)\n"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    from django.conf import settings

    for name in settings.CELERY_BEAT_SCHEDULE:
        assert f"ran {name}" in result.stdout


def test_periodic_jobs_keep_the_task_names_they_were_deployed_under(settings):
    # django-celery-beat rows and messages already queued name tasks by these strings: moving a task's
    # module must not rename it.
    assert {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()} == {
        "counseling.tasks.audit_chain_verify",
        "counseling.tasks.audit_head_export",
        "counseling.tasks.kek_epoch_rewrap",
        "counseling.identity_tasks.identity_documents_destroy",
        "counseling.tasks.escalation_sweep",
        "counseling.tasks.retention_run",
        "licensing.tasks.licence_expiry_sweep",
        "sessions.tasks.sessions_advance",
        "sessions.tasks.sessions_remind",
        "sessions.tasks.message_emails_send",
        "sessions.tasks.reply_reminders_send",
        "incidents.tasks.incident_clocks_remind",
        "sessions.tasks.session_drops_check",
        "clinical.tasks_notes.progress_note_reminders_send",
    }
