import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from counseling.audit import audit_chain_verify, audit_record
from counseling.models import AuditEntry

pytestmark = pytest.mark.django_db


def _three_entries(actor):
    for action in ("consent.accepted", "licence.verified", "record.viewed"):
        audit_record(actor=actor, action=action, target=actor, detail={"n": action})


def test_entries_chain_and_verify(client_a, capsys):
    _three_entries(client_a)
    report = audit_chain_verify()
    assert report.ok and report.checked == 3
    entries = list(AuditEntry.objects.all())
    assert [e.sequence for e in entries] == [1, 2, 3]
    assert entries[1].prev_hash == entries[0].entry_hash
    call_command("verify_audit_log")
    assert "3 entries verified" in capsys.readouterr().out


def test_orm_cannot_update_or_delete_entries(client_a):
    _three_entries(client_a)
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


def test_chain_detects_an_edited_row(client_a):
    _three_entries(client_a)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE counseling_auditentry SET action = %s WHERE sequence = 2", ["record.hidden"])
    report = audit_chain_verify()
    assert not report.ok
    assert report.problem == "entry #2 was altered"
    with pytest.raises(CommandError, match="entry #2 was altered"):
        call_command("verify_audit_log")


def test_chain_detects_a_deleted_row(client_a):
    _three_entries(client_a)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM counseling_auditentry WHERE sequence = 2")
    report = audit_chain_verify()
    assert not report.ok
    assert "entry #2 is missing" in report.problem


def test_chain_detects_removed_latest_entries(client_a):
    _three_entries(client_a)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM counseling_auditentry WHERE sequence = 3")
    report = audit_chain_verify()
    assert not report.ok
    assert "latest entries were removed" in report.problem


def test_admin_cannot_change_or_delete_entries(client, admin_user, client_a, staff_login):
    _three_entries(client_a)
    staff_login(client, admin_user)
    entry = AuditEntry.objects.first()
    assert client.get(f"/admin/counseling/auditentry/{entry.pk}/delete/").status_code == 403
    client.post(f"/admin/counseling/auditentry/{entry.pk}/change/", {"action": "edited"})
    entry_after = AuditEntry.objects.get(pk=entry.pk)
    assert entry_after.action == entry.action


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_one_unbroken_chain():
    import threading

    from django.db import connections

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
