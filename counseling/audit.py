"""The append-only, MAC-chained audit log: who saw or changed what, when, from where.

Every app writes here through `audit_record`; nothing updates or deletes an entry (the ORM refuses, and on
PostgreSQL a trigger refuses UPDATE and DELETE of the table, migration 0008).

Why a keyed MAC and exported heads. An unkeyed hash chain with its head in the same database proves
nothing to someone who can write that database: they rewrite an entry and recompute every later hash and
the head. So:
- each entry's `entry_hash` is HMAC-SHA256 under AUDIT_KEY (environment only, never in the database) over
  its content and the MAC of the entry before; without the key, no entry can be rewritten, added or
  inserted unseen. The key id is stored with the entry, so the key can rotate: the first key of AUDIT_KEY
  signs, the others verify older entries;
- the head row (how many entries, the newest MAC) carries a MAC too;
- every minute the head is exported outside the database (AUDIT_HEAD_SINK, by default a JSON-lines file),
  so entries removed from the end, and the head set back with them, are seen as well. What is removed
  between two exports cannot be told apart from never written: that is the export interval.

Entries written before the audit key existed have an empty key id and a plain SHA-256: they are checked
as before, and the first keyed entry's MAC covers the newest of them, so from then on they cannot be
rewritten without the key either. What they said before that moment, only the old chain vouches for;
`verify_audit_log` says how many there are.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models, transaction
from django.db.models import F
from django.utils.module_loading import import_string

from counseling.client_address import request_client_address
from counseling.clock import now
from counseling.crypto import Keyring
from counseling.models import AuditChainHead, AuditEntry

GENESIS = "0" * 64
_ENTRY_DOMAIN = b"counseling.audit.entry\n"
_HEAD_DOMAIN = b"counseling.audit.head\n"


def audit_keyring() -> Keyring:
    ring = Keyring.parse(settings.AUDIT_KEY, name="AUDIT_KEY")
    too_long = [key_id for key_id in ring.keys if len(key_id) > 32]
    if too_long:
        raise ImproperlyConfigured(f"AUDIT_KEY: key ids are at most 32 characters ({too_long[0]!r})")
    return ring


def entry_mac(entry: AuditEntry, *, key: bytes, sequence: int | None = None) -> str:
    return hmac.new(key, _ENTRY_DOMAIN + entry.canonical(sequence=sequence), hashlib.sha256).hexdigest()


def head_mac(*, length: int, last_hash: str, key_id: str, key: bytes) -> str:
    message = _HEAD_DOMAIN + f"{length}|{last_hash}|{key_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def client_ip(request) -> str | None:
    """The person's address behind our own proxies (counseling.client_address), as the login throttle sees it."""
    return request_client_address(request)


def audit_record(
    *,
    actor,
    action: str,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: Any = "",
    subject=None,
    request=None,
    ip_address: str | None = None,
    detail: dict | None = None,
) -> AuditEntry:
    """Append one entry. Runs in (or opens) a transaction; never put plaintext client data in detail.

    `subject` is the client whose data this concerns (a user or a user id), so a client's own
    history can be found and exported.
    """
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target.pk
    actor_id = getattr(actor, "pk", None)
    actor_label = getattr(actor, "email", "") if actor_id else (str(actor) if actor else "system")
    subject_id = getattr(subject, "pk", subject)
    ring = audit_keyring()
    key = ring.keys[ring.primary_id]
    with transaction.atomic():
        # Updating the head first takes its row lock (PostgreSQL) or the write lock (SQLite), so
        # concurrent appends queue up and the chain cannot fork.
        AuditChainHead.objects.get_or_create(pk=1)
        AuditChainHead.objects.filter(pk=1).update(length=F("length") + 1)
        head = AuditChainHead.objects.get(pk=1)
        entry = AuditEntry(
            sequence=head.length,
            at=now(),
            actor_id=actor_id,
            actor_label=actor_label[:254],
            action=action,
            target_type=str(target_type)[:64],
            target_id=str(target_id)[:64],
            subject_id=subject_id,
            ip_address=ip_address or client_ip(request),
            detail=detail or {},
            prev_hash=head.last_hash,
            key_id=ring.primary_id,
        )
        entry.entry_hash = entry_mac(entry, key=key)
        entry.save()
        AuditChainHead.objects.filter(pk=1).update(
            last_hash=entry.entry_hash,
            key_id=ring.primary_id,
            mac=head_mac(length=entry.sequence, last_hash=entry.entry_hash, key_id=ring.primary_id, key=key),
        )
    return entry


# ------------------------------------------------------------------------------------------------
# The exported heads


class JsonLinesHeadSink:
    """Appends each exported head as one JSON line to AUDIT_HEAD_FILE; reads them back for the check.

    A sink of your own (AUDIT_HEAD_SINK) needs `append(head)` and `read()`; `last()` is optional.

    Opened with O_APPEND under an exclusive lock, so two exporters never interleave a line. Append-only
    towards the database's users only if the file lives where they cannot write (docs/operations.md).
    """

    def __init__(self, path: str | None = None) -> None:
        self.path = path or settings.AUDIT_HEAD_FILE

    def append(self, head: dict) -> None:
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        line = (json.dumps(head, sort_keys=True, separators=(",", ":")) + "\n").encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)

    def read(self) -> list[dict]:
        try:
            with open(self.path, encoding="utf-8") as handle:
                return [json.loads(line) for line in handle if line.strip()]
        except FileNotFoundError:
            return []

    def last(self) -> dict | None:
        """The newest line only (the export runs every minute; the file grows for years)."""
        try:
            with open(self.path, "rb") as handle:
                handle.seek(0, os.SEEK_END)
                handle.seek(max(0, handle.tell() - 4096))
                lines = [line for line in handle.read().splitlines() if line.strip()]
        except FileNotFoundError:
            return None
        return json.loads(lines[-1]) if lines else None


def audit_head_sink():
    return import_string(settings.AUDIT_HEAD_SINK)()


def audit_head_export(*, sink=None) -> dict | None:
    """Export the newest entry's number and MAC, unless the last export already names it. Safe to run twice.

    Does not write an audit entry itself (that would move the head it exports).
    """
    sink = sink or audit_head_sink()
    newest = AuditEntry.objects.order_by("-sequence").first()
    if newest is None:
        return None
    last = sink.last() if hasattr(sink, "last") else next(iter(reversed(sink.read())), None)
    if last and last.get("sequence") == newest.sequence and last.get("mac") == newest.entry_hash:
        return None
    head = {
        "sequence": newest.sequence,
        "entry_id": newest.pk,
        "mac": newest.entry_hash,
        "key_id": newest.key_id,
        "at": newest.at.isoformat(),
        "exported_at": now().isoformat(),
    }
    sink.append(head)
    return head


# ------------------------------------------------------------------------------------------------
# Verification


@dataclass(frozen=True)
class ChainReport:
    """What `audit_chain_verify` found. `kind` names the first problem; "" when the chain is intact."""

    ok: bool
    checked: int
    problem: str = ""
    kind: str = ""
    unkeyed: int = 0
    exported_heads: int = 0
    notes: tuple[str, ...] = field(default=())


# Exit codes of `manage.py verify_audit_log`, one per kind of problem (monitoring can tell them apart).
EXIT_CODES = {
    "rewritten": 2,
    "appended": 3,
    "inserted": 4,
    "truncated": 5,
    "missing": 6,
    "head_rewritten": 7,
    "unknown_key": 8,
}


def _entries(batch_size: int) -> Iterator[AuditEntry]:
    last_sequence = 0
    while True:
        batch = list(AuditEntry.objects.filter(sequence__gt=last_sequence).order_by("sequence")[:batch_size])
        yield from batch
        if len(batch) < batch_size:
            return
        last_sequence = batch[-1].sequence


def _signed(entry: AuditEntry, ring: Keyring, *, sequence: int | None = None) -> bool:
    """Does the entry's MAC (or, unkeyed, its hash) match its content?"""
    if not entry.key_id:
        return hmac.compare_digest(entry.compute_hash(sequence=sequence), entry.entry_hash)
    key = ring.keys.get(entry.key_id)
    return key is not None and hmac.compare_digest(entry_mac(entry, key=key, sequence=sequence), entry.entry_hash)


def _head_signed(head: AuditChainHead, ring: Keyring) -> bool:
    key = ring.keys.get(head.key_id)
    return key is not None and hmac.compare_digest(
        head_mac(length=head.length, last_hash=head.last_hash, key_id=head.key_id, key=key), head.mac
    )


def _span(first: int, last: int) -> str:
    return f"entry #{first} is" if first == last else f"entries #{first}-#{last} are"


def audit_chain_verify(*, batch_size: int = 2000, exported: list[dict] | None = None) -> ChainReport:
    """Walk the whole chain and check it against the head row and the exported heads.

    Names the first problem: an entry rewritten (its MAC does not match, at a place known to have existed),
    appended (not signed, after the last place anyone vouched for), inserted (the entries after it verify
    one place earlier), missing (a gap), truncated (entries that an exported head or the head row vouches
    for are gone), the head row rewritten, or an entry under a key AUDIT_KEY does not hold.
    `exported` defaults to what AUDIT_HEAD_SINK holds.
    """
    ring = audit_keyring()
    if exported is None:
        exported = audit_head_sink().read()
    exported_by_sequence = {int(head["sequence"]): head for head in exported}
    last_exported = max(exported_by_sequence, default=0)
    # Read before the walk: entries appended while we walk are after this head, not missing from it.
    head = AuditChainHead.objects.filter(pk=1).first()
    head_keyed = head is not None and bool(head.key_id)
    head_ok = head is None or not head.key_id or _head_signed(head, ring)
    vouched = max(last_exported, head.length if head_keyed and head_ok else 0)

    def fail(kind: str, problem: str, checked: int) -> ChainReport:
        return ChainReport(
            False, checked, problem, kind=kind, unkeyed=unkeyed, exported_heads=len(exported_by_sequence)
        )

    expected_prev = GENESIS
    expected_sequence = 1
    checked = 0
    unkeyed = 0
    keyed_from: int | None = None
    walk = _entries(batch_size)
    entry = next(walk, None)
    while entry is not None:
        following = next(walk, None)
        if entry.sequence != expected_sequence:
            return fail(
                "missing",
                f"{_span(expected_sequence, entry.sequence - 1)} missing: deleted from the middle of the chain "
                f"(the next one is #{entry.sequence})",
                checked,
            )
        if entry.key_id and entry.key_id not in ring.keys:
            return fail(
                "unknown_key",
                f"entry #{entry.sequence} names audit key {entry.key_id!r}, which AUDIT_KEY does not hold: "
                "add it back (old keys stay in the list to verify) or the entry is forged",
                checked,
            )
        signed = _signed(entry, ring) and not (keyed_from is not None and not entry.key_id)
        if not signed:
            return fail(*_classify(entry, following, walk, ring, expected_prev, vouched, keyed_from), checked)
        if entry.prev_hash != expected_prev:
            return fail(
                "rewritten",
                f"entry #{entry.sequence - 1} (or one before it) was rewritten: #{entry.sequence} is signed and "
                "links to a different entry",
                checked,
            )
        mark = exported_by_sequence.get(entry.sequence)
        if mark is not None and not hmac.compare_digest(str(mark.get("mac", "")), entry.entry_hash):
            return fail(
                "rewritten",
                f"entry #{entry.sequence} was rewritten: it differs from the head exported at "
                f"{mark.get('exported_at', '?')}",
                checked,
            )
        if entry.key_id:
            keyed_from = keyed_from or entry.sequence
        else:
            unkeyed += 1
        expected_prev = entry.entry_hash
        expected_sequence += 1
        checked += 1
        entry = following

    if last_exported > checked:
        mark = exported_by_sequence[last_exported]
        return fail(
            "truncated",
            f"{_span(checked + 1, last_exported)} gone, removed from the end: the head exported at "
            f"{mark.get('exported_at', '?')} names #{last_exported}, the chain ends at #{checked}",
            checked,
        )
    if head is None and checked:
        return fail("head_rewritten", f"the chain head row is gone (the chain ends at #{checked})", checked)
    if head is not None and not head_keyed and keyed_from is not None and keyed_from <= head.length:
        return fail(
            "head_rewritten",
            f"the chain head was rewritten: it carries no MAC, but the chain is keyed from #{keyed_from}",
            checked,
        )
    if not head_ok:
        return fail(
            "head_rewritten",
            f"the chain head was rewritten: its MAC does not match (it says #{head.length}, the chain ends at "
            f"#{checked})",
            checked,
        )
    if head is not None and head.length > checked:
        return fail(
            "truncated",
            f"{_span(checked + 1, head.length)} gone, removed from the end: the head says {head.length} entries "
            f"were written, the chain ends at #{checked}",
            checked,
        )
    notes = []
    if unkeyed:
        notes.append(
            f"{unkeyed} entries (#1-#{unkeyed}) were written before the audit key and carry an unkeyed hash; "
            + (
                f"the first keyed entry #{keyed_from} seals them as they stood then."
                if keyed_from
                else "no keyed entry seals them yet."
            )
        )
    if not exported_by_sequence:
        notes.append("no exported head yet: entries removed from the end are seen only by the head row's MAC.")
    return ChainReport(True, checked, unkeyed=unkeyed, exported_heads=len(exported_by_sequence), notes=tuple(notes))


def _classify(entry, following, walk, ring, expected_prev, vouched, keyed_from) -> tuple[str, str]:
    """Name an entry whose MAC does not match: inserted, rewritten or appended."""
    sequence = entry.sequence
    # Inserted: the entry after it verifies one place earlier and links to the entry before it.
    if (
        following is not None
        and following.sequence == sequence + 1
        and following.prev_hash == expected_prev
        and _signed(following, ring, sequence=sequence)
    ):
        return (
            "inserted",
            f"entry #{sequence} was inserted: it is not signed, and the entries after it were renumbered "
            f"(#{sequence + 1} is signed as #{sequence})",
        )
    later = [following] if following is not None else []
    later_signed = max(
        (other.sequence for other in [*later, *walk] if (other.key_id or keyed_from is None) and _signed(other, ring)),
        default=0,
    )
    if sequence <= max(vouched, later_signed):
        why = (
            "an unkeyed entry after the chain was keyed at #" + str(keyed_from)
            if keyed_from is not None and not entry.key_id
            else "its MAC does not match its content"
        )
        return "rewritten", f"entry #{sequence} was rewritten: {why}"
    return (
        "appended",
        f"entry #{sequence} was appended without the audit key: it is not signed and comes after #{vouched}, "
        "the newest entry the exported heads and the head row vouch for",
    )


def audit_guard_status() -> str:
    """On PostgreSQL, whether the trigger that refuses UPDATE and DELETE is in place, and who could lift it."""
    if connection.vendor != "postgresql":
        return "no database guard (SQLite): the ORM refuses changes, the MAC chain shows them"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.tgenabled, pg_get_userbyid(c.relowner), current_user FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid WHERE c.oid = 'counseling_auditentry'::regclass "
            "AND t.tgname = 'counseling_auditentry_append_only'"
        )
        row = cursor.fetchone()
    if row is None:
        return "WARNING: the append-only trigger on counseling_auditentry is missing"
    enabled, owner, me = row
    if enabled == "D":
        return "WARNING: the append-only trigger on counseling_auditentry is disabled"
    if owner == me:
        return (
            f"append-only trigger on; this role ({me}) owns the table and could drop it: "
            "run the application as a role that does not (docs/operations.md)"
        )
    return f"append-only trigger on; the table is owned by {owner}, not by this role ({me})"
