"""The audit log: a MAC chain under AUDIT_KEY, its head exported outside the database, and a check that names
what an insider with write access to the database did (issue 17, item 3)."""

import hashlib
import hmac
import json
import re
import threading
from contextlib import contextmanager

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, connections, transaction

from counseling.audit import (
    EXIT_CODES,
    JsonLinesHeadSink,
    audit_chain_verify,
    audit_head_export,
    audit_record,
)
from counseling.models import AuditChainHead, AuditEntry
from counseling.tasks import audit_head_export_task

pytestmark = pytest.mark.django_db

SECOND_KEY = "a2:c2Vjb25kLXRlc3QtYXVkaXQta2V5LTAxMjM0NTY3ODk="


@pytest.fixture(autouse=True)
def _audit_key_a1(settings):
    """These tests name the key id "a1": set it here, whatever AUDIT_KEY the run was given (scripts/test draws one)."""
    settings.AUDIT_KEY = "a1:dGVzdC1vbmx5LWF1ZGl0LWtleS0wMTIzNDU2Nzg5YWI="


def _entries(actor, count=5):
    for n in range(count):
        audit_record(actor=actor, action=f"record.viewed.{n}", target=actor, subject=actor, detail={"n": n})


@contextmanager
def insider():
    """Raw SQL as someone with write access to the database. On PostgreSQL that takes the table's owner, who
    can switch the append-only trigger off (docs/operations.md says so); the test role owns its tables."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE counseling_auditentry DISABLE TRIGGER counseling_auditentry_append_only")
        yield cursor
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE counseling_auditentry ENABLE TRIGGER counseling_auditentry_append_only")


def _unkeyed_hash(row: dict) -> str:
    """What the old verify_audit_log trusted: SHA-256 of the content, no key (the probe recomputed these)."""
    payload = {name: row[name] for name in ("sequence", "actor_id", "actor_label", "action", "target_type")}
    payload.update(
        at=row["at"].isoformat(),
        target_id=row["target_id"],
        subject_id=row["subject_id"],
        ip_address=row["ip_address"],
        detail=row["detail"],
        prev_hash=row["prev_hash"],
    )
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _set_head(cursor, *, length: int, last_hash: str, mac: str | None = None):
    if mac is None:
        cursor.execute("UPDATE counseling_auditchainhead SET length = %s, last_hash = %s", [length, last_hash])
    else:
        cursor.execute(
            "UPDATE counseling_auditchainhead SET length = %s, last_hash = %s, mac = %s", [length, last_hash, mac]
        )


def _verify_fails(kind: str, message: str):
    report = audit_chain_verify()
    assert not report.ok
    assert report.kind == kind, report.problem
    assert message in report.problem
    with pytest.raises(CommandError, match=re.escape(message)) as raised:
        call_command("verify_audit_log")
    assert raised.value.returncode == EXIT_CODES[kind] != 0
    return report


def test_entries_are_chained_by_a_keyed_mac_and_verify(client_a, settings, capsys):
    _entries(client_a, 3)
    entries = list(AuditEntry.objects.all())
    assert [e.sequence for e in entries] == [1, 2, 3]
    assert {e.key_id for e in entries} == {"a1"}
    assert entries[1].prev_hash == entries[0].entry_hash
    # The MAC needs the key: the plain SHA-256 of the same content is not it.
    assert entries[1].entry_hash != entries[1].compute_hash()
    report = audit_chain_verify()
    assert report.ok and report.checked == 3 and report.unkeyed == 0
    call_command("verify_audit_log")
    assert "Audit log intact: 3 entries verified" in capsys.readouterr().out


def test_the_head_is_exported_outside_the_database_once_per_move(client_a, settings):
    _entries(client_a, 2)
    assert audit_head_export_task.apply().get() == 2
    assert audit_head_export() is None  # nothing moved: nothing appended
    audit_record(actor=client_a, action="record.viewed.again")
    head = audit_head_export()
    lines = [json.loads(line) for line in open(settings.AUDIT_HEAD_FILE, encoding="utf-8")]
    assert [line["sequence"] for line in lines] == [2, 3]
    newest = AuditEntry.objects.get(sequence=3)
    assert head["mac"] == lines[-1]["mac"] == newest.entry_hash
    assert lines[-1]["entry_id"] == newest.pk and lines[-1]["key_id"] == "a1"
    assert audit_chain_verify().exported_heads == 2


def test_an_entry_rewritten_with_every_later_hash_and_the_head_recomputed_is_named(client_a):
    """The probe's first case: rewrite #2, recompute every later hash and the head, as the old check wanted."""
    _entries(client_a)
    audit_head_export()
    rows = list(AuditEntry.objects.order_by("sequence").values())
    with insider() as cursor:
        prev = rows[0]["entry_hash"]
        for row in rows[1:]:
            if row["sequence"] == 2:
                row["action"] = "record.hidden"
            row["prev_hash"] = prev
            row["entry_hash"] = prev = _unkeyed_hash(row)
            cursor.execute(
                "UPDATE counseling_auditentry SET action = %s, prev_hash = %s, entry_hash = %s WHERE sequence = %s",
                [row["action"], row["prev_hash"], row["entry_hash"], row["sequence"]],
            )
        _set_head(cursor, length=5, last_hash=prev)
    _verify_fails("rewritten", "entry #2 was rewritten: its MAC does not match its content")


def test_an_entry_rewritten_as_if_written_before_the_key_is_named(client_a):
    """Dropping the key id to pass the entry off as an old unkeyed one does not help."""
    _entries(client_a)
    audit_head_export()
    row = AuditEntry.objects.filter(sequence=4).values().get()
    row["action"] = "record.hidden"
    with insider() as cursor:
        cursor.execute(
            "UPDATE counseling_auditentry SET action = %s, key_id = '', entry_hash = %s WHERE sequence = 4",
            [row["action"], _unkeyed_hash(row)],
        )
    _verify_fails("rewritten", "entry #4 was rewritten: an unkeyed entry after the chain was keyed at #1")


def test_a_forged_entry_appended_after_the_last_export_is_named(client_a):
    """The probe's second case: a made-up entry at the end, with the head moved along."""
    _entries(client_a)
    audit_head_export()
    newest = AuditEntry.objects.get(sequence=5)
    forged = AuditEntry(
        sequence=6,
        at=newest.at,
        actor_label="admin@staff.test",
        action="consent.accepted",
        target_type="counseling.user",
        target_id=str(client_a.pk),
        subject_id=client_a.pk,
        detail={},
        prev_hash=newest.entry_hash,
        key_id="a1",
    )
    forged.entry_hash = hmac.new(b"a guessed key", forged.canonical(), hashlib.sha256).hexdigest()
    forged.save()
    with insider() as cursor:
        _set_head(cursor, length=6, last_hash=forged.entry_hash)
    _verify_fails("appended", "entry #6 was appended without the audit key: it is not signed and comes after #5")


def test_a_forged_entry_appended_is_named_by_the_head_row_before_any_export(client_a):
    _entries(client_a)
    newest = AuditEntry.objects.get(sequence=5)
    forged = AuditEntry(
        sequence=6, at=newest.at, action="consent.accepted", prev_hash=newest.entry_hash, key_id="", detail={}
    )
    forged.entry_hash = forged.compute_hash()
    forged.save()
    _verify_fails("appended", "entry #6 was appended without the audit key")


def test_an_entry_inserted_in_the_middle_is_named(client_a):
    _entries(client_a)
    audit_head_export()
    second = AuditEntry.objects.get(sequence=2)
    with insider() as cursor:
        for sequence in (5, 4, 3):  # one by one from the end: sequence is unique
            cursor.execute(
                "UPDATE counseling_auditentry SET sequence = %s WHERE sequence = %s", [sequence + 1, sequence]
            )
    inserted = AuditEntry(
        sequence=3, at=second.at, action="consent.accepted", prev_hash=second.entry_hash, key_id="a1", detail={}
    )
    inserted.entry_hash = hmac.new(b"a guessed key", inserted.canonical(), hashlib.sha256).hexdigest()
    inserted.save()
    _verify_fails("inserted", "entry #3 was inserted: it is not signed, and the entries after it were renumbered")


def test_the_newest_three_entries_removed_with_an_old_head_put_back_are_named(client_a):
    """The probe's third case, done well: a copy of the head row from when the chain was at #2 is put back,
    so the database alone is consistent; the head exported outside it is not."""
    _entries(client_a, 2)
    old_head = AuditChainHead.objects.values("length", "last_hash", "mac").get(pk=1)
    _entries(client_a, 3)
    audit_head_export()
    with insider() as cursor:
        cursor.execute("DELETE FROM counseling_auditentry WHERE sequence > 2")
        _set_head(cursor, **old_head)
    _verify_fails("truncated", "entries #3-#5 are gone, removed from the end: the head exported at")


def test_the_newest_entries_removed_before_any_export_are_named_by_the_head_row(client_a):
    _entries(client_a)
    with insider() as cursor:
        cursor.execute("DELETE FROM counseling_auditentry WHERE sequence > 2")
    _verify_fails("truncated", "entries #3-#5 are gone, removed from the end: the head says 5 entries were written")


def test_a_head_row_set_back_without_the_key_is_named(client_a):
    _entries(client_a)
    second = AuditEntry.objects.get(sequence=2)
    with insider() as cursor:
        cursor.execute("DELETE FROM counseling_auditentry WHERE sequence > 2")
        _set_head(cursor, length=2, last_hash=second.entry_hash)
    _verify_fails("head_rewritten", "the chain head was rewritten: its MAC does not match")


def test_an_entry_deleted_from_the_middle_is_named(client_a):
    _entries(client_a)
    with insider() as cursor:
        cursor.execute("DELETE FROM counseling_auditentry WHERE sequence = 2")
    _verify_fails("missing", "entry #2 is missing: deleted from the middle of the chain")


def test_an_entry_under_a_key_no_longer_held_is_named(client_a, settings):
    settings.AUDIT_KEY = f"{SECOND_KEY},{settings.AUDIT_KEY}"
    _entries(client_a, 2)
    settings.AUDIT_KEY = settings.AUDIT_KEY.split(",", 1)[1]
    _verify_fails("unknown_key", "entry #1 names audit key 'a2', which AUDIT_KEY does not hold")


def test_the_key_rotates_and_old_entries_still_verify(client_a, settings):
    _entries(client_a, 2)
    settings.AUDIT_KEY = f"{SECOND_KEY},{settings.AUDIT_KEY}"
    _entries(client_a, 2)
    assert list(AuditEntry.objects.values_list("key_id", flat=True)) == ["a1", "a1", "a2", "a2"]
    audit_head_export()
    report = audit_chain_verify()
    assert report.ok and report.checked == 4


def test_entries_written_before_the_key_are_checked_and_sealed_by_the_first_keyed_one(client_a, capsys):
    """The upgrade: old rows keep their SHA-256 and no key id; the chain re-anchors at the first keyed entry."""
    prev = "0" * 64
    for sequence in (1, 2):
        old = AuditEntry(sequence=sequence, action="legacy.entry", prev_hash=prev, key_id="", detail={"n": sequence})
        old.entry_hash = prev = old.compute_hash()
        old.save()
    AuditChainHead.objects.create(pk=1, length=2, last_hash=prev)
    report = audit_chain_verify()
    assert report.ok and report.unkeyed == 2
    assert "no keyed entry seals them yet" in report.notes[0]

    audit_record(actor=client_a, action="record.viewed")
    call_command("verify_audit_log")
    out = capsys.readouterr().out
    assert "2 entries (#1-#2) were written before the audit key" in out
    assert "the first keyed entry #3 seals them as they stood then" in out

    # Rewriting an old entry (and its unkeyed successor) now breaks the keyed entry's link.
    rows = list(AuditEntry.objects.filter(sequence__lte=2).order_by("sequence").values())
    with insider() as cursor:
        rows[0]["action"] = "legacy.hidden"
        rows[0]["entry_hash"] = _unkeyed_hash(rows[0])
        rows[1]["prev_hash"] = rows[0]["entry_hash"]
        rows[1]["entry_hash"] = _unkeyed_hash(rows[1])
        for row in rows:
            cursor.execute(
                "UPDATE counseling_auditentry SET action = %s, prev_hash = %s, entry_hash = %s WHERE sequence = %s",
                [row["action"], row["prev_hash"], row["entry_hash"], row["sequence"]],
            )
    _verify_fails("rewritten", "entry #2 (or one before it) was rewritten: #3 is signed and links to a different")


def test_verify_reads_a_copy_of_the_exported_heads(client_a, tmp_path, capsys):
    _entries(client_a)
    copy = tmp_path / "fetched.jsonl"
    audit_head_export(sink=JsonLinesHeadSink(str(copy)))
    with insider() as cursor:
        cursor.execute("DELETE FROM counseling_auditentry WHERE sequence > 4")
        _set_head(cursor, **AuditChainHead.objects.values("length", "last_hash", "mac").get(pk=1))
    with pytest.raises(CommandError, match="entry #5 is gone"):
        call_command("verify_audit_log", heads=str(copy))


def test_orm_cannot_update_or_delete_entries(client_a):
    _entries(client_a, 3)
    entry = AuditEntry.objects.first()
    entry.action = "something.else"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="x")
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the append-only trigger is PostgreSQL's")
def test_on_postgresql_the_database_refuses_update_and_delete_of_audit_rows(client_a, capsys):
    _entries(client_a, 2)
    for statement in (
        "UPDATE counseling_auditentry SET action = 'record.hidden' WHERE sequence = 1",
        "DELETE FROM counseling_auditentry WHERE sequence = 2",
    ):
        with pytest.raises(DatabaseError, match="The audit log is append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(statement)
    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["record.viewed.0", "record.viewed.1"]
    call_command("verify_audit_log")
    assert "append-only trigger on" in capsys.readouterr().out


def test_admin_cannot_change_or_delete_entries(client, admin_user, client_a, staff_login):
    _entries(client_a, 3)
    staff_login(client, admin_user)
    entry = AuditEntry.objects.first()
    assert client.get(f"/admin/counseling/auditentry/{entry.pk}/delete/").status_code == 403
    client.post(f"/admin/counseling/auditentry/{entry.pk}/change/", {"action": "edited"})
    entry_after = AuditEntry.objects.get(pk=entry.pk)
    assert entry_after.action == entry.action


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_one_unbroken_chain():
    errors = []

    def append_many(worker: int):
        try:
            for n in range(10):
                audit_record(actor=None, action="test.concurrent", detail={"worker": worker, "n": n})
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=append_many, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    report = audit_chain_verify()
    assert report.ok, report.problem
    assert report.checked == 40
