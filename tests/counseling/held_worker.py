"""A Celery worker for the worker-kill test (test_celery_worker_escalation.py).

Its alert sender pauses right after it claimed an alert, before anything is sent, while the file named
by HELD_WORKER_HOLD_FILE exists; it first writes "<file>.reached". The production code has no such
hook: this wraps crisis.services.notify_user_now in this process only, before the pool forks.
"""

import os
import sys
import time
from pathlib import Path


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "counseling.settings")
    import django

    django.setup()
    from counseling.celery import app
    from crisis import services

    hold = Path(os.environ["HELD_WORKER_HOLD_FILE"])
    send = services.notify_user_now

    def held_send(*, user_id, payload):
        if hold.exists():
            Path(f"{hold}.reached").write_text(str(payload.get("id")))
            while hold.exists():
                time.sleep(0.1)
        return send(user_id=user_id, payload=payload)

    services.notify_user_now = held_send
    app.worker_main(["worker", *sys.argv[1:]])


if __name__ == "__main__":
    main()
