"""Write docs/promises.md from the promise register (consent.promises)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from consent.promises import promises_markdown


class Command(BaseCommand):
    help = "Write docs/promises.md from consent/promises.py."

    def handle(self, *args, **options):
        path = Path(settings.BASE_DIR) / "docs" / "promises.md"
        path.write_text(promises_markdown(), encoding="utf-8")
        self.stdout.write(f"Wrote {path}")
