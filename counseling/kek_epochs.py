"""Key-encryption key epochs: the schedule that lets crypto-shredding reach every backup (counseling.crypto).

The rule, with the operator's part in it (docs/security.md, "Backups"):
- an epoch's key is in FIELD_ENCRYPTION_KEYS under its start date; the operator adds the next one ahead of
  its date, every KEK_EPOCH_DAYS;
- every day the live data keys move to the current epoch (kek_epoch_rewrap); an ended epoch left with no
  live key is noted empty then (KekEpoch.emptied_at): backups taken later hold no key wrapped under it;
- once the last backup taken before that moment has expired (BACKUP_RETENTION_DAYS), the epoch is retired
  (kek_epoch_retire, which re-wraps first and refuses while any key remains under it or a backup may still
  need it), and the operator removes its key from the environment and the secret store. The key then exists
  nowhere, so no restored backup can unwrap a data key shredded while that epoch was current.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count

from counseling.audit import audit_record
from counseling.clock import now
from counseling.crypto import data_keys_rewrap, epoch_start, keyring
from counseling.models import DataKey, KekEpoch

log = logging.getLogger(__name__)


class EpochRetireRefused(Exception):
    """An epoch cannot be retired yet; the message says why and until when."""


@dataclass(frozen=True)
class EpochStatus:
    kek_id: str
    starts: date | None
    ends: date | None
    current: bool
    live_keys: int
    emptied_at: datetime | None
    retire_after: datetime | None
    retired_at: datetime | None
    in_environment: bool
    state: str


def _retention() -> timedelta:
    return timedelta(days=settings.BACKUP_RETENTION_DAYS)


def kek_epochs_status(*, at: datetime | None = None) -> list[EpochStatus]:
    """Every epoch the environment or the database knows, oldest first, with what is due for it.

    States: "current", "future" (its date has not come), "draining" (ended, live keys still under it),
    "backups" (empty; backups taken before it was emptied may still exist), "retire" (may and should be
    retired now), "overdue" (the promise in the texts is at risk: retire it now), "retired" (done),
    "remove" (retired but its key is still in the environment: remove it)."""
    at = at or now()
    ring = keyring()
    rows = {row.kek_id: row for row in KekEpoch.objects.all()}
    counts = dict(
        DataKey.objects.filter(destroyed_at__isnull=True)
        .values_list("kek_id")
        .annotate(n=Count("id"))
        .values_list("kek_id", "n")
    )
    ids = list(ring.order) + [kek_id for kek_id in rows if kek_id not in ring.keys]
    dated = sorted((start, kek_id) for kek_id in ids if (start := epoch_start(kek_id)))
    ends = {kek_id: (dated[i + 1][0] if i + 1 < len(dated) else None) for i, (_s, kek_id) in enumerate(dated)}
    grace = timedelta(days=settings.KEK_RETIRE_GRACE_DAYS)
    out = []
    for kek_id in sorted(ids, key=lambda k: (epoch_start(k) or date.min, k)):
        row = rows.get(kek_id)
        starts = epoch_start(kek_id)
        emptied_at = row.emptied_at if row else None
        retired_at = row.retired_at if row else None
        retire_after = emptied_at + _retention() if emptied_at else None
        live = counts.get(kek_id, 0)
        if retired_at:
            state = "remove" if kek_id in ring.keys else "retired"
        elif kek_id == ring.primary_id:
            state = "current"
        elif starts and starts > at.date():
            state = "future"
        elif live:
            state = "draining"
        elif retire_after is None or retire_after > at:
            state = "backups"
        elif retire_after + grace > at:
            state = "retire"
        else:
            state = "overdue"
        out.append(
            EpochStatus(
                kek_id=kek_id,
                starts=starts,
                ends=ends.get(kek_id),
                current=kek_id == ring.primary_id,
                live_keys=live,
                emptied_at=emptied_at,
                retire_after=retire_after,
                retired_at=retired_at,
                in_environment=kek_id in ring.keys,
                state=state,
            )
        )
    return out


def kek_next_epoch_missing(*, at: datetime | None = None) -> bool:
    """True when the current epoch has run KEK_EPOCH_DAYS or more and no later epoch's key is provisioned:
    the schedule the texts' number rests on is slipping. Undated keyrings have no schedule (False)."""
    at = at or now()
    ring = keyring()
    starts = [start for kek_id in ring.order if (start := epoch_start(kek_id))]
    current = epoch_start(ring.primary_id)
    if current is None:
        return False
    later = [start for start in starts if start > current]
    return not later and at.date() >= current + timedelta(days=settings.KEK_EPOCH_DAYS)


def kek_epochs_rewrap(*, at: datetime | None = None) -> dict[str, int]:
    """Move every live data key to the current epoch and note the ended epochs it leaves empty. The daily job
    and `manage.py rotate_data_keys`. Safe to run again; returns how many keys left each epoch."""
    moved = data_keys_rewrap()
    at = at or now()
    ring = keyring()
    live = set(DataKey.objects.filter(destroyed_at__isnull=True).values_list("kek_id", flat=True).distinct())
    with transaction.atomic():
        for kek_id in ring.order:
            if kek_id == ring.primary_id or ((start := epoch_start(kek_id)) and start > at.date()):
                continue
            row, _created = KekEpoch.objects.get_or_create(kek_id=kek_id)
            if row.retired_at:
                continue
            if kek_id in live:
                # A process with an older environment wrapped under it again: not empty after all.
                if row.emptied_at:
                    row.emptied_at = None
                    row.save(update_fields=["emptied_at"])
            elif row.emptied_at is None or kek_id in moved:
                # Backups from before this moment may hold keys wrapped under it; none after.
                row.emptied_at = at
                row.save(update_fields=["emptied_at"])
        if moved:
            audit_record(
                actor=None, action="crypto.data_keys_rewrapped", detail={"primary": ring.primary_id, "moved": moved}
            )
    return moved


def kek_epoch_retire(*, kek_id: str, actor=None, at: datetime | None = None) -> KekEpoch:
    """Retire an ended epoch: after this its key must be removed from the environment and the secret store.

    Re-wraps first; refuses (EpochRetireRefused) the current or a future epoch, an epoch that still wraps a
    live data key, and one whose emptying is younger than BACKUP_RETENTION_DAYS (a backup may still need it)."""
    at = at or now()
    ring = keyring()
    if kek_id == ring.primary_id:
        raise EpochRetireRefused(f"{kek_id!r} is the current epoch: add the next epoch's key first.")
    if kek_id not in ring.keys and not KekEpoch.objects.filter(kek_id=kek_id).exists():
        raise EpochRetireRefused(f"{kek_id!r} is not a key of FIELD_ENCRYPTION_KEYS.")
    start = epoch_start(kek_id)
    if start and start > at.date():
        raise EpochRetireRefused(f"{kek_id!r} has not started yet.")
    kek_epochs_rewrap(at=at)
    with transaction.atomic():
        row, _created = KekEpoch.objects.select_for_update().get_or_create(kek_id=kek_id)
        if row.retired_at:
            return row
        left = DataKey.objects.filter(destroyed_at__isnull=True, kek_id=kek_id).count()
        if left:
            raise EpochRetireRefused(
                f"{left} data keys are still wrapped under {kek_id!r} and could not be re-wrapped."
            )
        if row.emptied_at is None or row.emptied_at + _retention() > at:
            since = row.emptied_at or at
            raise EpochRetireRefused(
                f"Backups taken before {since:%Y-%m-%d %H:%M} UTC may still hold data keys wrapped under {kek_id!r}; "
                f"they expire by {since + _retention():%Y-%m-%d %H:%M} UTC (BACKUP_RETENTION_DAYS="
                f"{settings.BACKUP_RETENTION_DAYS}). Retire it then."
            )
        row.retired_at = at
        row.save(update_fields=["retired_at"])
        audit_record(actor=actor, action="crypto.kek_epoch_retired", target_type="kek_epoch", target_id=kek_id)
    return row
