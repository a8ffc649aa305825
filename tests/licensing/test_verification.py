"""Admin verification: checks recorded against the register, decisions audit-logged, four eyes."""

from datetime import timedelta

import pytest

from counseling.models import AuditEntry
from licensing.models import Licence, LicenceState, VerificationCheck
from licensing.services import (
    LicenceError,
    LicenceStateError,
    VerificationRefused,
    licence_reinstate,
    licence_reject,
    licence_revoke,
    licence_submit,
    licence_suspend,
    licence_verify,
)
from tests.conftest import make_client
from tests.counseling.test_identity_documents_sniffing import pdf_bytes
from tests.licensing.factories import NOON, TODAY, body, licence, place

pytestmark = pytest.mark.django_db
PDF = pdf_bytes(title="a licence scan")


def submitted(counselor, *, by=None):
    return licence_submit(
        counselor=counselor,
        submitted_by=by or counselor,
        issuing_body=body(),
        kind="str",
        number="STR 0099/2026",
        jurisdiction=place("ID"),
        scope="Clinical psychology",
        valid_from=TODAY,
        expires_on=TODAY + timedelta(days=5 * 365),
        evidence=PDF,
        evidence_filename="str.pdf",
    )


def check_args(**extra):
    return {
        "registry_reference": "https://himpsi.or.id/registry?no=0099",
        "registry_finding": "Active, name matches, valid until 2031",
        "checked_at": NOON,
        **extra,
    }


def test_counselor_submission_is_stored_as_submitted_and_audited(counselor_a):
    row = submitted(counselor_a)
    assert row.state == LicenceState.SUBMITTED
    entry = AuditEntry.objects.get(action="licence.submitted", target_id=str(row.pk))
    assert entry.actor_id == counselor_a.pk
    assert entry.detail["jurisdiction"] == "ID"


def test_admin_verifies_with_the_evidence_of_the_check(counselor_a, admin_user):
    row = submitted(counselor_a)
    licence_verify(licence=row, admin=admin_user, **check_args())
    row.refresh_from_db()
    assert row.state == LicenceState.VERIFIED
    assert row.decided_by == admin_user
    check = VerificationCheck.objects.get(licence=row)
    assert check.outcome == "verified"
    assert check.registry_reference.startswith("https://himpsi.or.id/")
    assert check.checked_at == NOON
    entry = AuditEntry.objects.get(action="licence.verified", target_id=str(row.pk))
    assert (entry.actor_id, entry.detail["from"], entry.detail["to"]) == (admin_user.pk, "submitted", "verified")


def test_verifying_needs_the_register_reference_and_what_it_said(counselor_a, admin_user):
    row = submitted(counselor_a)
    with pytest.raises(LicenceError):
        licence_verify(licence=row, admin=admin_user, registry_reference="", registry_finding="", checked_at=NOON)
    row.refresh_from_db()
    assert row.state == LicenceState.SUBMITTED


def test_rejection_needs_a_reason_and_keeps_it(counselor_a, admin_user):
    row = submitted(counselor_a)
    with pytest.raises(LicenceError):
        licence_reject(licence=row, admin=admin_user, reason=" ", **check_args())
    licence_reject(licence=row, admin=admin_user, reason="Number not found in the register", **check_args())
    row.refresh_from_db()
    assert (row.state, row.state_reason) == (LicenceState.REJECTED, "Number not found in the register")
    assert AuditEntry.objects.filter(action="licence.rejected", actor_id=admin_user.pk).exists()


def test_a_counselor_cannot_verify_their_own_licence(counselor_a):
    row = submitted(counselor_a)
    with pytest.raises(VerificationRefused):
        licence_verify(licence=row, admin=counselor_a, **check_args())
    row.refresh_from_db()
    assert row.state == LicenceState.SUBMITTED
    assert not AuditEntry.objects.filter(action="licence.verified").exists()


def test_an_admin_cannot_verify_a_licence_they_submitted(counselor_a, admin_user):
    row = submitted(counselor_a, by=admin_user)
    with pytest.raises(VerificationRefused):
        licence_verify(licence=row, admin=admin_user, **check_args())
    with pytest.raises(VerificationRefused):
        licence_reject(licence=row, admin=admin_user, reason="x", **check_args())
    row.refresh_from_db()
    assert row.state == LicenceState.SUBMITTED
    assert not VerificationCheck.objects.exists()


def test_another_admin_can_verify_a_licence_an_admin_submitted(counselor_a, admin_user):
    from counseling.models import User

    row = submitted(counselor_a, by=admin_user)
    second = User.objects.create_superuser(email="second.admin@staff.test", password="x-long-password-1")
    licence_verify(licence=row, admin=second, **check_args())
    row.refresh_from_db()
    assert row.state == LicenceState.VERIFIED


def test_only_a_counselor_or_an_admin_can_submit_a_licence(counselor_a, counselor_b):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        submitted(counselor_a, by=counselor_b)


def test_a_decided_licence_cannot_be_decided_again(counselor_a, admin_user):
    row = submitted(counselor_a)
    licence_reject(licence=row, admin=admin_user, reason="Not in register", **check_args())
    with pytest.raises(LicenceStateError):
        licence_verify(licence=row, admin=admin_user, **check_args())


def test_a_stale_copy_loses_the_race_and_changes_nothing(counselor_a, admin_user):
    row = submitted(counselor_a)
    stale = Licence.objects.get(pk=row.pk)
    licence_verify(licence=row, admin=admin_user, **check_args())
    with pytest.raises(LicenceStateError):
        licence_reject(licence=stale, admin=admin_user, reason="too late", **check_args())
    assert Licence.objects.get(pk=row.pk).state == LicenceState.VERIFIED
    assert AuditEntry.objects.filter(action="licence.rejected").count() == 0


def test_suspend_reinstate_and_revoke_are_audited_with_who_and_why(counselor_a, admin_user):
    row = licence(counselor_a, "ID", submitted_by=counselor_a)
    licence_suspend(licence=row, admin=admin_user, reason="Board complaint under investigation")
    licence_reinstate(licence=row, admin=admin_user, reason="Complaint dismissed")
    licence_revoke(licence=row, admin=admin_user, reason="Revoked by the board")
    actions = list(
        AuditEntry.objects.filter(target_id=str(row.pk), target_type="licensing.licence").values_list(
            "action", "actor_id", "detail__reason"
        )
    )
    assert actions == [
        ("licence.suspended", admin_user.pk, "Board complaint under investigation"),
        ("licence.reinstated", admin_user.pk, "Complaint dismissed"),
        ("licence.revoked", admin_user.pk, "Revoked by the board"),
    ]
    with pytest.raises(LicenceStateError):
        licence_reinstate(licence=row, admin=admin_user, reason="no")


def test_a_counselor_cannot_change_a_licence_state(counselor_a):
    row = licence(counselor_a, "ID", state=LicenceState.SUSPENDED)
    with pytest.raises(VerificationRefused):
        licence_reinstate(licence=row, admin=counselor_a, reason="I say so")
    with pytest.raises(VerificationRefused):
        licence_suspend(licence=licence(counselor_a, "ID-JK", kind="silp"), admin=counselor_a, reason="x")


def test_suspension_tells_the_counselors_clients_there(counselor_a, admin_user, monkeypatch):
    from licensing.models import LapseNotice
    from sessions.models import Conversation

    client = make_client("ayu@clients.test", "Ayu")
    Conversation.objects.create(client=client, counselor=counselor_a)
    row = licence(counselor_a, "ID")
    licence_suspend(licence=row, admin=admin_user, reason="Board suspension")
    assert LapseNotice.objects.filter(client=client, licence=row).exists()
