"""The published consent must not promise fewer days than the settings give (counseling.crypto.backup_shred_days):
a larger KEK_EPOCH_DAYS, BACKUP_RETENTION_DAYS or KEK_RETIRE_GRACE_DAYS needs a new consent version first."""

import re

from django.core.checks import Error, Tags, register
from django.db import DatabaseError

from consent.default_text import BACKUP_DAYS_STATED
from consent.selectors import consent_versions_in_force
from counseling.crypto import backup_shred_days


def consent_backup_days_stated(*, version) -> int | None:
    """The days within which the version's retention section says a backup copy becomes unreadable, if it says."""
    pattern = BACKUP_DAYS_STATED.get(version.language)
    section = version.sections.filter(key="retention").first()
    found = re.search(pattern, section.body) if pattern and section else None
    return int(found.group(1)) if found else None


@register(Tags.database)
def consent_backup_days_check(app_configs, databases=None, **kwargs):
    """Runs with migrate (and `check --database default`)."""
    if not databases:
        return []
    days = backup_shred_days()
    try:
        versions = consent_versions_in_force()
        stated = {language: consent_backup_days_stated(version=v) for language, v in versions.items()}
    except DatabaseError:
        return []  # before the first migrate
    broken = {language: n for language, n in stated.items() if n is not None and n < days}
    if broken:
        return [
            Error(
                f"The consent in force promises shredded data is unreadable in backups within "
                f"{', '.join(f'{n} days ({language})' for language, n in sorted(broken.items()))}, but "
                f"KEK_EPOCH_DAYS + BACKUP_RETENTION_DAYS + KEK_RETIRE_GRACE_DAYS give {days}.",
                hint="Shorten those settings, or publish a new consent version that states the new number first.",
                id="consent.E001",
            )
        ]
    return []
