import base64
import os

import pytest

from counseling import crypto
from counseling.models import DataKey

pytestmark = pytest.mark.django_db


def test_sealed_text_opens_only_in_its_own_place(client_a):
    sealed = crypto.seal(owner_id=client_a.pk, plaintext="saya merasa cemas", context="message:1:7:1")
    assert b"cemas" not in sealed
    assert crypto.open_text(owner_id=client_a.pk, sealed=sealed, context="message:1:7:1") == "saya merasa cemas"
    with pytest.raises(crypto.DecryptionError):
        crypto.open_sealed(owner_id=client_a.pk, sealed=sealed, context="message:2:7:1")


def test_tampering_is_detected(client_a):
    sealed = bytearray(crypto.seal(owner_id=client_a.pk, plaintext="hello", context="c"))
    sealed[-1] ^= 1
    with pytest.raises(crypto.DecryptionError):
        crypto.open_sealed(owner_id=client_a.pk, sealed=bytes(sealed), context="c")


def test_another_persons_key_cannot_open_it(client_a, client_b):
    sealed = crypto.seal(owner_id=client_a.pk, plaintext="hello", context="c")
    with pytest.raises(crypto.DecryptionError):
        crypto.open_sealed(owner_id=client_b.pk, sealed=sealed, context="c")


def test_data_key_is_stored_only_wrapped(client_a):
    crypto.seal(owner_id=client_a.pk, plaintext="x", context="c")
    row = DataKey.objects.get(owner=client_a)
    assert len(bytes(row.wrapped_key)) == 12 + 32 + 16
    assert bytes(row.wrapped_key) != crypto.data_key_for(owner_id=client_a.pk)


def test_rotation_rewraps_keys_and_old_kek_can_then_be_removed(client_a, client_b, settings):
    sealed = {u.pk: crypto.seal(owner_id=u.pk, plaintext=f"note of {u.pk}", context="c") for u in (client_a, client_b)}
    old_spec = settings.FIELD_ENCRYPTION_KEYS
    new_spec = f"k2:{base64.b64encode(os.urandom(32)).decode()}"
    settings.FIELD_ENCRYPTION_KEYS = f"{new_spec},{old_spec}"
    crypto.key_cache.evict()
    old_id = old_spec.split(",")[0].split(":")[0]  # whatever the run was given (scripts/test draws "test")
    assert crypto.data_keys_rewrap() == {old_id: 2}
    assert crypto.data_keys_rewrap() == {}
    assert set(DataKey.objects.values_list("kek_id", flat=True)) == {"k2"}
    settings.FIELD_ENCRYPTION_KEYS = new_spec
    crypto.key_cache.evict()
    for pk, value in sealed.items():
        assert crypto.open_text(owner_id=pk, sealed=value, context="c") == f"note of {pk}"


def test_crypto_shredding_makes_data_unreadable(client_a, client_b):
    mine = crypto.seal(owner_id=client_a.pk, plaintext="secret", context="c")
    theirs = crypto.seal(owner_id=client_b.pk, plaintext="other", context="c")
    assert crypto.data_key_destroy(owner_id=client_a.pk) is True
    assert crypto.data_key_destroy(owner_id=client_a.pk) is False
    with pytest.raises(crypto.DataKeyDestroyed):
        crypto.open_sealed(owner_id=client_a.pk, sealed=mine, context="c")
    with pytest.raises(crypto.DataKeyDestroyed):
        crypto.seal(owner_id=client_a.pk, plaintext="new", context="c")
    assert crypto.open_text(owner_id=client_b.pk, sealed=theirs, context="c") == "other"
    assert DataKey.objects.get(owner=client_a).wrapped_key is None


def test_keys_cached_together_expire_spread_out_and_never_later_than_the_allowance(monkeypatch):
    """A server's sockets load their keys together; they must not all expire, and be read again, at once.
    A destroyed key must still be forgotten by other processes within the allowance (_CACHE_SECONDS)."""
    monkeypatch.setattr(crypto.time, "monotonic", lambda: 1000.0)
    cache = crypto._KeyCache()
    for owner in range(50):
        cache.put(owner, b"k" * 32)
    expiries = [expiry for expiry, _key in cache._items.values()]
    assert all(1000.0 + crypto._CACHE_SECONDS / 2 <= e <= 1000.0 + crypto._CACHE_SECONDS for e in expiries)
    assert max(expiries) - min(expiries) > crypto._CACHE_SECONDS / 4
    monkeypatch.setattr(crypto.time, "monotonic", lambda: 1000.0 + crypto._CACHE_SECONDS + 0.001)
    assert all(cache.get(owner) is None for owner in range(50))
