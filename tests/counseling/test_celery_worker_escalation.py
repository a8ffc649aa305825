"""A real Celery worker on Redis is killed in the middle of sending an alert; the alert still arrives, once.

The worker is a separate process on this test's own database (tests/counseling/held_worker.py). Its alert
sender pauses while a hold file exists, right after it claimed the alert; the whole worker is then SIGKILLed, as
if its machine died. A fresh worker runs the minute sweep, which finds the claim expired and sends
the alert: the counselor receives it over the real Redis channel layer and by e-mail exactly once.
"""

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from counseling.consumers import user_group
from crisis.models import EscalationAlert
from tests.counseling.test_escalation_support import make_session

ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 2


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def worker_env(tmp_path: Path) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "counseling.settings",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
        "HELD_WORKER_HOLD_FILE": str(tmp_path / "hold"),
        "ESCALATION_DELIVERY_LEASE_SECONDS": str(LEASE_SECONDS),
    }
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        # The worker must use this test's database, not the development one.
        env["DATABASE_URL"] = (
            f"postgresql://{quote(db['USER'])}:{quote(db['PASSWORD'])}@{db['HOST'] or '127.0.0.1'}"
            f":{db['PORT'] or 5432}/{db['NAME']}"
        )
    else:
        env.pop("DATABASE_URL", None)
        env["SQLITE_PATH"] = str(db["NAME"])
    return env


def start_worker(env: dict, queue: str, log: Path) -> subprocess.Popen:
    with log.open("ab") as output:  # the worker keeps its own copy of the descriptor
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.counseling.held_worker",
                "-P",
                "prefork",
                "-c",
                "1",
                "-Q",
                queue,
                "-l",
                "info",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"{queue}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    wait_for(lambda: "ready." in log.read_text(errors="ignore") or process.poll() is not None, 60, "worker ready")
    assert process.poll() is None, log.read_text(errors="ignore")
    return process


def kill_worker(process: subprocess.Popen, sig=signal.SIGKILL) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
        process.wait(timeout=30)


class Listener:
    """A channel-layer subscriber on its own event loop in a thread, like an open page (core or pub/sub layer)."""

    def __init__(self, layer, group: str):
        self.layer, self.group, self.received = layer, group, []
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.channel = self.call(layer.new_channel())
        self.call(layer.group_add(group, self.channel))
        self.task = asyncio.run_coroutine_threadsafe(self._receive(), self.loop)

    def call(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=10)

    async def _receive(self):
        while True:
            message = await self.layer.receive(self.channel)
            self.received.append(message.get("payload", {}))

    def alerts(self) -> list[dict]:
        return [p for p in list(self.received) if p.get("type") == "escalation.alert"]

    def close(self):
        self.task.cancel()
        try:
            self.call(self.layer.group_discard(self.group, self.channel))
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=5)
            # Closed here, where no other loop runs: left to the garbage collector, the loop is closed in
            # the middle of a later async test, and channels_redis's close hook (it flushes the layer on
            # that loop) fails there with "Cannot run the event loop while another loop is running".
            self.loop.close()


def mails_to(tmp_path: Path, address: str) -> int:
    folder = tmp_path / "mail"
    if not folder.exists():
        return 0
    return sum(text.count(f"To: {address}") for text in (f.read_text(errors="ignore") for f in folder.iterdir()))


@pytest.mark.redis
def test_killed_worker_mid_alert_still_delivers_exactly_once_after_restart_and_sweep(
    transactional_db, redis_url, tmp_path, monkeypatch, client_a, counselor_a
):
    from channels.layers import channel_layers, get_channel_layer

    from crisis import services as escalation_module
    from crisis import tasks

    # Only the tasks this test sends reach the broker, on a queue of its own.
    monkeypatch.setattr(escalation_module, "_enqueue", lambda *args, **kwargs: None)
    monkeypatch.setattr(escalation_module, "has_emergency_plan", lambda client: True)
    queue = f"escalation-test-{uuid.uuid4().hex[:8]}"
    env = worker_env(tmp_path)
    log = tmp_path / "worker.log"

    channel_layers.backends.clear()
    listener = Listener(get_channel_layer(), user_group(counselor_a.pk))

    make_session(client_a, counselor_a)
    escalation, created = escalation_module.help_request(client=client_a)
    assert created
    alert = EscalationAlert.objects.get(escalation=escalation, recipient=counselor_a)

    hold = Path(env["HELD_WORKER_HOLD_FILE"])
    hold.write_text("hold")
    worker = start_worker(env, queue, log)
    try:
        tasks.escalation_deliver.apply_async(args=[escalation.pk], queue=queue)
        wait_for(lambda: Path(f"{hold}.reached").exists(), 60, "the worker to claim the alert")
        kill_worker(worker)  # SIGKILL the whole worker mid-task
        alert.refresh_from_db()
        assert alert.attempts == 1 and alert.claimed_until is not None
        assert alert.notified_at is None and alert.emailed_at is None
        assert listener.alerts() == []

        hold.unlink()
        worker = start_worker(env, queue, log)
        # The dead worker's claim runs out; the next sweep (every minute in production) re-drives it.
        wait_for(
            lambda: EscalationAlert.objects.filter(pk=alert.pk, claimed_until__lt=_now()).exists(),
            LEASE_SECONDS + 10,
            "the dead worker's claim to expire",
        )
        tasks.escalation_sweep.apply_async(queue=queue)
        wait_for(
            lambda: EscalationAlert.objects.filter(
                pk=alert.pk, notified_at__isnull=False, emailed_at__isnull=False
            ).exists(),
            60,
            "the sweep to deliver the alert",
        )
        # Deliveries repeated after success change nothing.
        tasks.escalation_sweep.apply_async(queue=queue)
        tasks.escalation_deliver.apply_async(args=[escalation.pk], queue=queue)
        wait_for(lambda: log.read_text(errors="ignore").count("succeeded") >= 3, 60, "the repeats to run")

        wait_for(lambda: listener.alerts(), 10, "the alert to reach the counselor's page")
        time.sleep(1)  # room for a duplicate to show up, if there were one
        alerts = listener.alerts()
        assert len(alerts) == 1 and alerts[0]["id"] == escalation.pk
        assert mails_to(tmp_path, counselor_a.email) == 1
        alert.refresh_from_db()
        assert alert.attempts == 2
    finally:
        kill_worker(worker, signal.SIGTERM)
        listener.close()
        channel_layers.backends.clear()


def _now():
    from counseling import clock

    return clock.now()
