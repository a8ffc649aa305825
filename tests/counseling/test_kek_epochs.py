"""Key-encryption key epochs: shredding reaches every backup within backup_shred_days()."""

import base64
import os
from datetime import timedelta
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from counseling import crypto, kek_epochs
from counseling.clock import now
from counseling.models import DataKey, KekEpoch

pytestmark = pytest.mark.django_db


def kek(day: str) -> str:
    return f"{day}:{base64.b64encode(os.urandom(32)).decode()}"


def at(moment):
    return mock.patch("django.utils.timezone.now", return_value=moment)


@pytest.fixture
def epochs(settings):
    """Two epochs: 2026-01-01 (old) and 2026-02-01 (current from its date)."""
    settings.KEK_EPOCH_DAYS = 31
    settings.BACKUP_RETENTION_DAYS = 30
    settings.KEK_RETIRE_GRACE_DAYS = 5
    old, new = kek("2026-01-01"), kek("2026-02-01")
    settings.FIELD_ENCRYPTION_KEYS = f"{old},{new}"
    crypto.key_cache.evict()
    yield {"old": old, "new": new}
    crypto.key_cache.evict()


def test_the_current_epoch_is_the_latest_dated_key_that_has_started(epochs):
    with at(now().replace(year=2026, month=1, day=20)):
        assert crypto.keyring().primary_id == "2026-01-01"
    with at(now().replace(year=2026, month=2, day=1)):
        assert crypto.keyring().primary_id == "2026-02-01"


def test_undated_keys_keep_the_first_as_primary():
    secret = kek("x").split(":", 1)[1]
    ring = crypto.Keyring.parse(f"k2:{secret},k1:{kek('x').split(':', 1)[1]}", today=now().date())
    assert ring.primary_id == "k2"


def test_a_backup_of_a_shredded_key_opens_until_its_epoch_is_retired_and_never_after(epochs, settings, client_a):
    january = now().replace(year=2026, month=1, day=10, hour=12)
    with at(january):
        sealed = crypto.seal(owner_id=client_a.pk, plaintext="rahasia", context="c")
        row = DataKey.objects.get(owner=client_a)
        backup = {"kek_id": row.kek_id, "wrapped": bytes(row.wrapped_key)}  # the nightly backup's copy
        assert backup["kek_id"] == "2026-01-01"
        crypto.data_key_destroy(owner_id=client_a.pk)  # shredded: day 0
    # Restored that day, the backup still opens: this is why "backups included, at once" was untrue.
    with at(january):
        key = crypto._unwrap(
            ring=crypto.keyring(), kek_id=backup["kek_id"], owner_id=client_a.pk, wrapped=backup["wrapped"]
        )
        assert crypto.open_text(owner_id=client_a.pk, sealed=sealed, context="c", data_key=key) == "rahasia"
    # The next epoch starts; the daily job empties the old one.
    february = now().replace(year=2026, month=2, day=1, hour=0, minute=20)
    with at(february):
        kek_epochs.kek_epochs_rewrap()
        with pytest.raises(kek_epochs.EpochRetireRefused, match="expire by 2026-03-03"):
            kek_epochs.kek_epoch_retire(kek_id="2026-01-01")
    retire_day = february + timedelta(days=settings.BACKUP_RETENTION_DAYS)
    with at(retire_day):
        kek_epochs.kek_epoch_retire(kek_id="2026-01-01")
    # The operator's step: the retired key leaves the environment and the secret store.
    settings.FIELD_ENCRYPTION_KEYS = epochs["new"]
    with at(retire_day), pytest.raises(crypto.DecryptionError, match="not in the keyring"):
        crypto._unwrap(ring=crypto.keyring(), kek_id=backup["kek_id"], owner_id=client_a.pk, wrapped=backup["wrapped"])
    # ... and no key left in the keyring opens it either.
    for kek_id in crypto.keyring().keys:
        with pytest.raises(crypto.DecryptionError):
            crypto._unwrap(ring=crypto.keyring(), kek_id=kek_id, owner_id=client_a.pk, wrapped=backup["wrapped"])
    assert (retire_day - january).days <= crypto.backup_shred_days()


def test_an_epoch_that_still_wraps_a_live_key_is_re_wrapped_before_it_is_retired(epochs, client_a, client_b):
    with at(now().replace(year=2026, month=1, day=10)):
        crypto.seal(owner_id=client_a.pk, plaintext="x", context="c")
    with at(now().replace(year=2026, month=3, day=20)):
        # Nobody ran the daily job: the key is still under the old epoch, so a backup from today holds it.
        assert DataKey.objects.get(owner=client_a).kek_id == "2026-01-01"
        with pytest.raises(kek_epochs.EpochRetireRefused, match="Backups taken before 2026-03-20"):
            kek_epochs.kek_epoch_retire(kek_id="2026-01-01")
        assert DataKey.objects.get(owner=client_a).kek_id == "2026-02-01"
        assert KekEpoch.objects.get(kek_id="2026-01-01").retired_at is None


def test_the_current_epoch_cannot_be_retired(epochs):
    with at(now().replace(year=2026, month=2, day=10)), pytest.raises(CommandError, match="current epoch"):
        call_command("kek_epoch_retire", "2026-02-01")


def test_status_names_what_is_due(epochs, client_a, capsys):
    with at(now().replace(year=2026, month=1, day=10)):
        crypto.seal(owner_id=client_a.pk, plaintext="x", context="c")
    with at(now().replace(year=2026, month=2, day=2)):
        states = {e.kek_id: e.state for e in kek_epochs.kek_epochs_status()}
        assert states == {"2026-01-01": "draining", "2026-02-01": "current"}
        kek_epochs.kek_epochs_rewrap()
        assert {e.kek_id: e.state for e in kek_epochs.kek_epochs_status()}["2026-01-01"] == "backups"
    with at(now().replace(year=2026, month=3, day=5)):
        assert {e.kek_id: e.state for e in kek_epochs.kek_epochs_status()}["2026-01-01"] == "retire"
    with at(now().replace(year=2026, month=3, day=20)):
        assert {e.kek_id: e.state for e in kek_epochs.kek_epochs_status()}["2026-01-01"] == "overdue"
        with pytest.raises(SystemExit):
            call_command("kek_epoch_status")
        assert "OVERDUE" in capsys.readouterr().out
        kek_epochs.kek_epoch_retire(kek_id="2026-01-01")
        assert {e.kek_id: e.state for e in kek_epochs.kek_epochs_status()}["2026-01-01"] == "remove"


def test_a_missing_next_epoch_key_is_reported(epochs, settings):
    settings.FIELD_ENCRYPTION_KEYS = epochs["new"]
    with at(now().replace(year=2026, month=2, day=20)):
        assert kek_epochs.kek_next_epoch_missing() is False
    with at(now().replace(year=2026, month=3, day=5)):
        assert kek_epochs.kek_next_epoch_missing() is True


def test_the_promised_days_come_from_the_settings(settings):
    settings.KEK_EPOCH_DAYS, settings.BACKUP_RETENTION_DAYS, settings.KEK_RETIRE_GRACE_DAYS = 30, 30, 5
    assert crypto.backup_shred_days() == 65
