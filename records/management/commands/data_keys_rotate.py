import time

from django.core.management.base import BaseCommand

from counseling.crypto import ROTATION_SETTLE_SECONDS
from records.services import data_keys_rotate


class Command(BaseCommand):
    help = (
        "Rotate the data keys themselves: each person gets a new data key and every sealed field of theirs is "
        "re-sealed under it (records.registry.sealed_fields), in batches, one transaction per person, audited. "
        "Resumable: run it again and it goes on with the keys not yet rotated. The old key is kept wrapped until "
        "no process can still hold it, then the data sealed under it meanwhile is re-sealed and the key forgotten."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=50)
        parser.add_argument(
            "--older-than-days", type=int, default=1, help="rotate keys not rotated within this many days"
        )
        parser.add_argument("--no-wait", action="store_true", help="do not wait to settle the last batch")

    def handle(self, *args, batch_size, older_than_days, no_wait, **options):
        total = {"rotated": 0, "resealed": 0, "settled": 0}
        while True:
            result = data_keys_rotate(batch_size=batch_size, older_than_days=older_than_days)
            for name in total:
                total[name] += result[name]
            self.stdout.write(f"rotated {result['rotated']}, settled {result['settled']}, {result['left']} left")
            if not result["left"]:
                break
        if not no_wait:
            # The last keys' old copies may still be held by a process for up to twice the cache time.
            time.sleep(ROTATION_SETTLE_SECONDS + 1)
            while settled := data_keys_rotate(batch_size=batch_size, older_than_days=older_than_days)["settled"]:
                total["settled"] += settled
        self.stdout.write(
            self.style.SUCCESS(
                f"{total['rotated']} data keys rotated, {total['resealed']} sealed values re-sealed under them."
            )
        )
