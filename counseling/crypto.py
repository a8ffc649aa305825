"""The one encryption keyring of the project: envelope encryption with per-person data keys.

- Key-encryption keys (KEKs) come from the environment, FIELD_ENCRYPTION_KEYS="id:base64,id:base64".
  A KEK whose id is a date ("2026-12-01:base64") is an epoch key: its epoch starts that day (UTC) and
  ends when the next dated key's starts. The current epoch (the latest started) wraps new and re-wrapped
  data keys; the others only unwrap. Without dated ids the first key is primary (development, tests).
- Why epochs (the backup promise): a backup keeps the wrapped data key after it is shredded live, and
  would open as long as its KEK lives. So every live data key moves to the current epoch (daily job),
  and an old epoch, once no backup that still holds a key wrapped under it can exist, is retired
  (`manage.py kek_epoch_retire`) and its key removed from the environment: then every backup copy of a
  shredded key is unreadable. Shred at day 0, unreadable everywhere by day backup_shred_days()
  (docs/security.md, "Backups").
- Each person (client or counselor) has one 256-bit data key, stored only wrapped by a KEK
  (DataKey). Messages and fields are sealed under it with AES-256-GCM.
- The associated data (`context`) binds a ciphertext to where it belongs, e.g.
  "message:<session>:<sender>:<seq>"; a ciphertext moved elsewhere fails to open and raises
  DecryptionError, which callers report instead of showing text.
- KEK rotation is the epoch schedule: add the next epoch's key ahead of its date; the daily job re-wraps
  (`manage.py rotate_data_keys` does it at once). Data key rotation (new data keys, every sealed field
  re-sealed) is `manage.py data_keys_rotate` (records.services.data_keys_rotate).
- Crypto-shredding: `data_key_destroy` overwrites the wrapped key; nothing sealed under it can be
  read again from the live database at once, and from any backup once its epoch is retired.
"""

from __future__ import annotations

import base64
import os
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils.translation import gettext as _

from counseling import on_loop
from counseling.clock import now
from counseling.models import DataKey

FORMAT_V1 = b"\x01"
NONCE_BYTES = 12
_CACHE_SECONDS = 30.0
# After a data key rotation, no process holds the old key once this much time has passed (its cache expired).
ROTATION_SETTLE_SECONDS = 2 * _CACHE_SECONDS


class DecryptionError(Exception):
    """A ciphertext could not be opened: wrong place, tampered with, or its key is destroyed."""


class DataKeyDestroyed(DecryptionError):
    pass


def epoch_start(key_id: str) -> date | None:
    """The day an epoch key's epoch starts (its id is an ISO date, YYYY-MM-DD), or None for an undated key."""
    try:
        return date.fromisoformat(key_id) if len(key_id) == 10 else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Keyring:
    primary_id: str
    keys: dict[str, bytes]
    order: tuple[str, ...] = field(default=())

    @classmethod
    def parse(cls, spec: str, *, name: str = "FIELD_ENCRYPTION_KEYS", today: date | None = None) -> Keyring:
        """Parse "id:base64,id:base64". `name` is the setting, for the error messages.

        The primary key: with `today`, the dated key whose epoch started last on or before that day
        (epoch keys); else, or when no dated key has started yet, the first key."""
        keys: dict[str, bytes] = {}
        order: list[str] = []
        for item in (part.strip() for part in spec.split(",")):
            if not item:
                continue
            key_id, sep, encoded = item.partition(":")
            if not sep or not key_id:
                raise ImproperlyConfigured(f"{name} entries look like id:base64key")
            try:
                raw = base64.b64decode(encoded, validate=True)
            except ValueError as exc:
                raise ImproperlyConfigured(f"{name}: key {key_id!r} is not valid base64") from exc
            if len(raw) != 32:
                raise ImproperlyConfigured(f"{name}: key {key_id!r} must be 32 bytes, not {len(raw)}")
            if key_id in keys:
                raise ImproperlyConfigured(f"{name}: key id {key_id!r} appears twice")
            keys[key_id] = raw
            order.append(key_id)
        if not order:
            raise ImproperlyConfigured(f"{name} holds no key")
        primary = order[0]
        if today is not None:
            started = [(start, key_id) for key_id in order if (start := epoch_start(key_id)) and start <= today]
            if started:
                primary = max(started)[1]
        return cls(primary_id=primary, keys=keys, order=tuple(order))


def keyring() -> Keyring:
    """The KEKs of the environment; the primary is the current epoch's key (by today's date, UTC)."""
    return Keyring.parse(settings.FIELD_ENCRYPTION_KEYS, today=now().date())


def backup_shred_days() -> int:
    """The most days after crypto-shredding until no copy can be read anywhere, backups included.

    A key shredded on day 0 may sit in backups wrapped under the epoch current that day; that epoch ends
    within KEK_EPOCH_DAYS, the daily job moves every live key off it within a day, its last backup holding
    such a key expires BACKUP_RETENTION_DAYS later, and the operator then has KEK_RETIRE_GRACE_DAYS (the
    re-wrap's day included) to retire it and remove its key from the environment. The consent text and the
    transparency page state this number (consent.checks compares them)."""
    return settings.KEK_EPOCH_DAYS + settings.BACKUP_RETENTION_DAYS + settings.KEK_RETIRE_GRACE_DAYS


def new_kek_spec(key_id: str) -> str:
    """A fresh KEK entry for FIELD_ENCRYPTION_KEYS (used by scripts and the docs)."""
    return f"{key_id}:{base64.b64encode(os.urandom(32)).decode()}"


def _wrap_context(owner_id: int) -> bytes:
    return f"datakey:{owner_id}".encode()


def _wrap(*, ring: Keyring, owner_id: int, data_key: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    kek = ring.keys[ring.primary_id]
    return nonce + AESGCM(kek).encrypt(nonce, data_key, _wrap_context(owner_id))


def _unwrap(*, ring: Keyring, kek_id: str, owner_id: int, wrapped: bytes) -> bytes:
    kek = ring.keys.get(kek_id)
    if kek is None:
        raise DecryptionError(f"Key-encryption key {kek_id!r} is not in the keyring")
    try:
        return AESGCM(kek).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _wrap_context(owner_id))
    except InvalidTag as exc:
        raise DecryptionError("Data key failed to unwrap (tampered or wrong key)") from exc


class _KeyCache:
    """Unwrapped data keys for a few seconds, so a chat does not read the key row per message.

    A destroyed key is evicted at once in this process; other processes forget it within
    _CACHE_SECONDS (their chats are closed by the same destruction anyway).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[int, tuple[float, bytes]] = {}

    def get(self, owner_id: int) -> bytes | None:
        with self._lock:
            item = self._items.get(owner_id)
            if item and item[0] > time.monotonic():
                return item[1]
            self._items.pop(owner_id, None)
            return None

    def put(self, owner_id: int, key: bytes) -> None:
        with self._lock:
            # Spread over the second half of the allowance: keys loaded together (a server's sockets after a
            # deploy, a benchmark's cast) must not all expire, and be read again, in the same moment.
            self._items[owner_id] = (time.monotonic() + _CACHE_SECONDS * random.uniform(0.5, 1.0), key)

    def evict(self, owner_id: int | None = None) -> None:
        with self._lock:
            if owner_id is None:
                self._items.clear()
            else:
                self._items.pop(owner_id, None)


key_cache = _KeyCache()


def data_key_for(*, owner_id: int, create: bool = True) -> bytes:
    """The unwrapped data key of one person, created on first use."""
    cached = key_cache.get(owner_id)
    if cached is not None:
        return cached
    row = DataKey.objects.filter(owner_id=owner_id).first()
    if row is None:
        if not create:
            raise DecryptionError(f"User {owner_id} has no data key")
        ring = keyring()
        fresh = AESGCM.generate_key(bit_length=256)
        with transaction.atomic():
            row, created = DataKey.objects.get_or_create(
                owner_id=owner_id,
                defaults={
                    "kek_id": ring.primary_id,
                    "wrapped_key": _wrap(ring=ring, owner_id=owner_id, data_key=fresh),
                },
            )
            if created:
                # Cache only once the key row is committed: a key from a rolled-back transaction
                # must never seal anything again.
                transaction.on_commit(lambda: key_cache.put(owner_id, fresh))
        if created:
            return fresh
    if row.destroyed_at is not None or not row.wrapped_key:
        raise DataKeyDestroyed(f"The data key of user {owner_id} was destroyed")
    key = _unwrap(ring=keyring(), kek_id=row.kek_id, owner_id=owner_id, wrapped=bytes(row.wrapped_key))
    # Runs at once outside a transaction; inside one, only if the row it read is committed.
    transaction.on_commit(lambda: key_cache.put(owner_id, key))
    return key


async def data_key_on_loop(*, owner_id: int) -> bytes | None:
    """The data key of `owner_id` for a caller on the event loop: held, or its row read on the loop's own
    PostgreSQL connection (counseling.on_loop) and unwrapped, so a chat socket renews an expired key
    without a worker thread. None when there is no usable row (no key yet, destroyed), when the key does
    not unwrap, or off PostgreSQL: the caller then goes the ORM way (data_key_for), which creates the key
    or reports what is wrong."""
    cached = key_cache.get(owner_id)
    if cached is not None:
        return cached
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    table = connection.ops.quote_name(DataKey._meta.db_table)
    try:
        row = await on_loop.postgres().fetchone(
            f"SELECT kek_id, wrapped_key FROM {table} WHERE owner_id = %s AND destroyed_at IS NULL",  # noqa: S608
            [owner_id],
        )
        if row is None or not row[1]:
            return None
        key = _unwrap(ring=keyring(), kek_id=row[0], owner_id=owner_id, wrapped=bytes(row[1]))
    except Exception:  # the ORM way will say what it is
        return None
    key_cache.put(owner_id, key)  # read by an autocommit statement: the row is committed
    return key


def cached_data_key(*, owner_id: int) -> bytes | None:
    """The data key of `owner_id` if this process holds it unwrapped now; never reads the database
    (safe on an event loop)."""
    return key_cache.get(owner_id)


def seal(*, owner_id: int, plaintext: bytes | str, context: str, data_key: bytes | None = None) -> bytes:
    """Encrypt under the data key of `owner_id`, bound to `context` (the ciphertext's place).

    `data_key`: the owner's key when the caller already holds it (cached_data_key), else it is read."""
    if isinstance(plaintext, str):
        plaintext = plaintext.encode()
    return seal_with(data_key=data_key or data_key_for(owner_id=owner_id), plaintext=plaintext, context=context)


def open_sealed(*, owner_id: int, sealed: bytes | memoryview, context: str, data_key: bytes | None = None) -> bytes:
    """Decrypt what `seal` made. Raises DecryptionError if anything about it is not right.

    `data_key`: the owner's key when the caller already holds it (cached_data_key), else it is read."""
    sealed = bytes(sealed)
    if not sealed.startswith(FORMAT_V1) or len(sealed) < 1 + NONCE_BYTES + 16:
        raise DecryptionError("Not a sealed value")
    key = data_key or data_key_for(owner_id=owner_id, create=False)
    nonce = sealed[1 : 1 + NONCE_BYTES]
    try:
        return AESGCM(key).decrypt(nonce, sealed[1 + NONCE_BYTES :], context.encode())
    except InvalidTag as exc:
        raise DecryptionError(f"Ciphertext does not belong to {context!r} or was altered") from exc


def open_text(*, owner_id: int, sealed: bytes | memoryview | None, context: str, data_key: bytes | None = None) -> str:
    if sealed is None or len(sealed) == 0:
        return ""
    return open_sealed(owner_id=owner_id, sealed=sealed, context=context, data_key=data_key).decode()


def open_note(*, owner_id: int, sealed: bytes | memoryview | None, context: str) -> str:
    """A sealed note for a page: its text, "" when there is none, or a notice (never bytes) when it cannot be
    opened (its key shredded, the row moved or altered)."""
    try:
        return open_text(owner_id=owner_id, sealed=sealed, context=context)
    except DecryptionError:
        return _("[this note cannot be opened]")


def data_keys_rewrap(*, batch_size: int = 500) -> dict[str, int]:
    """Re-wrap every live data key (and a rotation's previous key beside it) under the primary KEK, the
    current epoch's. Safe to run again; returns how many keys moved off each KEK."""

    ring = keyring()
    moved: dict[str, int] = {}
    while True:
        with transaction.atomic():
            batch = list(
                DataKey.objects.select_for_update()
                .filter(destroyed_at__isnull=True)
                .exclude(kek_id=ring.primary_id)
                .order_by("id")[:batch_size]
            )
            for row in batch:
                key = _unwrap(ring=ring, kek_id=row.kek_id, owner_id=row.owner_id, wrapped=bytes(row.wrapped_key))
                row.wrapped_key = _wrap(ring=ring, owner_id=row.owner_id, data_key=key)
                if row.previous_wrapped_key:
                    previous = _unwrap(
                        ring=ring, kek_id=row.kek_id, owner_id=row.owner_id, wrapped=bytes(row.previous_wrapped_key)
                    )
                    row.previous_wrapped_key = _wrap(ring=ring, owner_id=row.owner_id, data_key=previous)
                moved[row.kek_id] = moved.get(row.kek_id, 0) + 1
                row.kek_id = ring.primary_id
                row.rewrapped_at = now()
                row.save(update_fields=["wrapped_key", "previous_wrapped_key", "kek_id", "rewrapped_at"])
        if len(batch) < batch_size:
            return moved


def data_key_replace(*, owner_id: int, reseal) -> bool:
    """Give one person a new data key and re-seal their data under it, in one transaction.

    `reseal(old_key, new_key)` re-seals every sealed field of the owner (records.services knows where they
    are). The old key stays beside the new one, wrapped (previous_wrapped_key), until
    data_key_previous_forget: a process may still hold it for up to _CACHE_SECONDS and seal under it.
    Returns False when the owner has no live data key."""
    with transaction.atomic():
        row = DataKey.objects.select_for_update().filter(owner_id=owner_id, destroyed_at__isnull=True).first()
        if row is None or not row.wrapped_key:
            return False
        ring = keyring()
        old = _unwrap(ring=ring, kek_id=row.kek_id, owner_id=owner_id, wrapped=bytes(row.wrapped_key))
        fresh = AESGCM.generate_key(bit_length=256)
        reseal(old, fresh)
        row.wrapped_key = _wrap(ring=ring, owner_id=owner_id, data_key=fresh)
        row.previous_wrapped_key = _wrap(ring=ring, owner_id=owner_id, data_key=old)
        row.kek_id = ring.primary_id
        row.rotated_at = now()
        row.save(update_fields=["wrapped_key", "previous_wrapped_key", "kek_id", "rotated_at"])
        key_cache.evict(owner_id)
        transaction.on_commit(lambda: key_cache.evict(owner_id))
    return True


def data_key_previous(*, owner_id: int) -> bytes | None:
    """The key a rotation replaced, while it is still kept (see data_key_replace)."""
    row = DataKey.objects.filter(owner_id=owner_id, destroyed_at__isnull=True).first()
    if row is None or not row.previous_wrapped_key:
        return None
    return _unwrap(ring=keyring(), kek_id=row.kek_id, owner_id=owner_id, wrapped=bytes(row.previous_wrapped_key))


def data_key_previous_forget(*, owner_id: int) -> None:
    DataKey.objects.filter(owner_id=owner_id).update(previous_wrapped_key=None)


def rotation_settled_before() -> datetime:
    """Keys rotated before this moment can no longer be held by any process (their caches expired)."""
    return now() - timedelta(seconds=ROTATION_SETTLE_SECONDS)


def seal_with(*, data_key: bytes, plaintext: bytes, context: str) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return FORMAT_V1 + nonce + AESGCM(data_key).encrypt(nonce, plaintext, context.encode())


def data_key_destroy(*, owner_id: int) -> bool:
    """Crypto-shred one person's data. Returns False if it was already destroyed.

    Must be called inside the caller's transaction when it is part of a larger destruction.
    """

    updated = DataKey.objects.filter(owner_id=owner_id, destroyed_at__isnull=True).update(
        wrapped_key=None, previous_wrapped_key=None, destroyed_at=now()
    )
    key_cache.evict(owner_id)
    return bool(updated)
