"""Rotating the data keys themselves: new keys, every sealed field re-sealed, resumable, audited."""

from datetime import timedelta
from unittest import mock

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models

from counseling import crypto
from counseling.clock import now
from counseling.models import AuditEntry, DataKey
from identity.models import Intake
from records.registry import sealed_fields
from records.services import data_keys_rotate

pytestmark = pytest.mark.django_db


def test_every_sealed_field_of_the_project_is_registered_for_rotation():
    registered = {(f.model, f.field) for f in sealed_fields()}
    found = {
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.BinaryField) and field.name.endswith("_sealed")
    }
    assert found and found <= registered


def test_rotation_gives_a_new_key_and_the_data_still_reads(client_a, client_b):
    intake = Intake.objects.create(client=client_a, answers_sealed=b"")
    intake.answers_sealed = crypto.seal(owner_id=client_a.pk, plaintext='{"a": 1}', context=intake.aad)
    intake.save(update_fields=["answers_sealed"])
    crypto.seal(owner_id=client_b.pk, plaintext="x", context="c")
    old_key = crypto.data_key_for(owner_id=client_a.pk)

    result = data_keys_rotate(batch_size=1)
    assert result["rotated"] == 1 and result["left"] == 1  # one batch, the rest left for the next run
    result = data_keys_rotate(batch_size=1)
    assert result["rotated"] == 1 and result["left"] == 0
    assert data_keys_rotate(batch_size=1)["rotated"] == 0  # resumable: done keys are not due again

    crypto.key_cache.evict()
    new_key = crypto.data_key_for(owner_id=client_a.pk)
    assert new_key != old_key
    intake.refresh_from_db()
    assert crypto.open_text(owner_id=client_a.pk, sealed=intake.answers_sealed, context=intake.aad) == '{"a": 1}'
    with pytest.raises(crypto.DecryptionError):
        crypto.open_sealed(owner_id=client_a.pk, sealed=intake.answers_sealed, context=intake.aad, data_key=old_key)
    assert AuditEntry.objects.filter(action="crypto.data_key_rotated", target_id=str(client_a.pk)).exists()


def test_what_a_process_sealed_under_the_old_key_meanwhile_is_re_sealed_then_the_old_key_is_forgotten(client_a):
    intake = Intake.objects.create(client=client_a, answers_sealed=b"")
    old_key = crypto.data_key_for(owner_id=client_a.pk)
    data_keys_rotate()
    # Another process still held the old key in its cache and sealed with it after the rotation.
    late = crypto.seal(owner_id=client_a.pk, plaintext="late", context=intake.aad, data_key=old_key)
    Intake.objects.filter(pk=intake.pk).update(answers_sealed=late)
    assert DataKey.objects.get(owner=client_a).previous_wrapped_key is not None

    later = now() + timedelta(seconds=crypto.ROTATION_SETTLE_SECONDS + 1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert data_keys_rotate()["settled"] == 1
    crypto.key_cache.evict()
    intake.refresh_from_db()
    assert crypto.open_text(owner_id=client_a.pk, sealed=intake.answers_sealed, context=intake.aad) == "late"
    assert DataKey.objects.get(owner=client_a).previous_wrapped_key is None


def test_shredding_also_destroys_a_rotations_old_key(client_a):
    crypto.seal(owner_id=client_a.pk, plaintext="x", context="c")
    data_keys_rotate()
    crypto.data_key_destroy(owner_id=client_a.pk)
    row = DataKey.objects.get(owner=client_a)
    assert row.wrapped_key is None and row.previous_wrapped_key is None


def test_the_command_runs_to_the_end(client_a, capsys):
    crypto.seal(owner_id=client_a.pk, plaintext="x", context="c")
    call_command("data_keys_rotate", "--no-wait", "--batch-size", "10")
    assert "1 data keys rotated" in capsys.readouterr().out
