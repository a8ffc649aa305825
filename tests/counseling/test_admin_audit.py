"""What is read and changed in the Django admin is in the audit log; a legal hold is released, never deleted."""

import pytest

from counseling.audit import audit_chain_verify
from counseling.models import AuditEntry, Role
from records.models import LegalHold
from records.services import LegalHoldError, legal_hold_place, legal_hold_release

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_browser(client, admin_user, staff_login):
    return staff_login(client, admin_user)


def _user_form(user, **changes):
    data = {"email": user.email, "role": user.role, "is_active": "on"}
    data.update(changes)
    return data


def test_opening_a_clients_account_in_the_admin_is_audited_with_the_client_as_subject(
    admin_browser, admin_user, client_a
):
    assert admin_browser.get(f"/admin/counseling/user/{client_a.pk}/change/").status_code == 200
    entry = AuditEntry.objects.get(action="admin.viewed")
    assert (entry.actor_id, entry.target_type, entry.target_id) == (admin_user.pk, "counseling.user", str(client_a.pk))
    assert entry.subject_id == client_a.pk and entry.detail == {"page": "change"}
    assert audit_chain_verify().ok


def test_lists_and_history_pages_of_client_data_are_audited(admin_browser, client_a):
    profile = client_a.client_profile
    assert admin_browser.get("/admin/counseling/clientprofile/?q=Client").status_code == 200
    assert admin_browser.get(f"/admin/counseling/clientprofile/{profile.pk}/history/").status_code == 200
    listed = AuditEntry.objects.get(action="admin.list_viewed")
    assert listed.target_type == "counseling.clientprofile" and listed.detail == {"searched": True}
    history = AuditEntry.objects.get(action="admin.viewed")
    assert history.detail == {"page": "history"} and history.subject_id == client_a.pk


def test_changing_a_role_in_the_admin_is_audited_with_the_fields_not_their_values(
    admin_browser, admin_user, counselor_a
):
    response = admin_browser.post(
        f"/admin/counseling/user/{counselor_a.pk}/change/", _user_form(counselor_a, role="admin")
    )
    assert response.status_code == 302
    counselor_a.refresh_from_db()
    assert counselor_a.role == Role.ADMIN
    entry = AuditEntry.objects.get(action="admin.changed")
    assert (entry.actor_id, entry.target_id) == (admin_user.pk, str(counselor_a.pk))
    assert entry.detail == {"fields": ["role"]}
    assert entry.subject_id is None  # a counselor is not a client


def test_reading_the_audit_table_itself_is_audited(admin_browser, admin_user, client_a):
    legal_hold_place(client=client_a, reason="Court order 12/2026", placed_by=admin_user)
    first = AuditEntry.objects.get(action="retention.hold_placed")
    assert admin_browser.get("/admin/counseling/auditentry/").status_code == 200
    assert admin_browser.get(f"/admin/counseling/auditentry/{first.pk}/change/").status_code == 200
    assert AuditEntry.objects.filter(action="admin.list_viewed", target_type="counseling.auditentry").count() == 1
    viewed = AuditEntry.objects.get(action="admin.viewed", target_type="counseling.auditentry")
    assert viewed.target_id == str(first.pk) and viewed.subject_id == client_a.pk


def test_admin_pages_refused_to_a_counselor_write_no_read_entry(client, counselor_a, client_a, staff_login):
    staff_login(client, counselor_a)
    response = client.get(f"/admin/counseling/user/{client_a.pk}/change/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert not AuditEntry.objects.filter(action__startswith="admin.").exists()


def test_placing_a_hold_in_the_admin_is_audited_with_its_reason(admin_browser, admin_user, client_a):
    response = admin_browser.post("/admin/records/legalhold/add/", {"client": client_a.pk, "reason": "Subpoena 7/2026"})
    assert response.status_code == 302
    hold = LegalHold.objects.get(client=client_a)
    assert hold.placed_by == admin_user and hold.released_at is None
    placed = AuditEntry.objects.get(action="retention.hold_placed")
    assert placed.detail == {"reason": "Subpoena 7/2026"} and placed.subject_id == client_a.pk
    assert AuditEntry.objects.filter(action="admin.added", target_id=str(hold.pk), subject_id=client_a.pk).exists()


def test_a_legal_hold_cannot_be_deleted_in_the_admin_or_through_the_orm(admin_browser, admin_user, client_a):
    hold = legal_hold_place(client=client_a, reason="Court order 12/2026", placed_by=admin_user)
    assert admin_browser.get(f"/admin/records/legalhold/{hold.pk}/delete/").status_code == 403
    assert admin_browser.post(f"/admin/records/legalhold/{hold.pk}/delete/", {"post": "yes"}).status_code == 403
    response = admin_browser.post(
        "/admin/records/legalhold/", {"action": "delete_selected", "_selected_action": [hold.pk], "post": "yes"}
    )
    assert LegalHold.objects.filter(pk=hold.pk, released_at__isnull=True).exists(), response.status_code
    with pytest.raises(PermissionError):
        hold.delete()
    with pytest.raises(PermissionError):
        LegalHold.objects.filter(pk=hold.pk).delete()
    assert not AuditEntry.objects.filter(action="admin.deleted").exists()


def test_a_hold_is_released_in_the_admin_only_with_a_reason(admin_browser, admin_user, client_a):
    hold = legal_hold_place(client=client_a, reason="Court order 12/2026", placed_by=admin_user)
    page = admin_browser.get(f"/admin/records/legalhold/{hold.pk}/change/").content.decode()
    assert "A hold is never deleted." in page

    short = admin_browser.post(f"/admin/records/legalhold/{hold.pk}/change/", {"release_reason": "done"})
    assert short.status_code == 200
    assert "Say why the hold is released, in at least 10 characters." in short.content.decode()
    hold.refresh_from_db()
    assert hold.released_at is None

    admin_browser.post(f"/admin/records/legalhold/{hold.pk}/change/", {"release_reason": "  "})
    hold.refresh_from_db()
    assert hold.released_at is None and not AuditEntry.objects.filter(action="retention.hold_released").exists()

    reason = "Case closed by the court on 3 March 2027"
    response = admin_browser.post(f"/admin/records/legalhold/{hold.pk}/change/", {"release_reason": reason})
    assert response.status_code == 302
    hold.refresh_from_db()
    assert hold.released_at is not None and hold.released_by == admin_user and hold.release_reason == reason
    released = AuditEntry.objects.get(action="retention.hold_released")
    assert released.detail == {"reason": reason} and released.subject_id == client_a.pk
    assert released.actor_id == admin_user.pk

    # Released is final: the reason cannot be edited afterwards.
    admin_browser.post(f"/admin/records/legalhold/{hold.pk}/change/", {"release_reason": "Something else entirely"})
    hold.refresh_from_db()
    assert hold.release_reason == reason
    assert AuditEntry.objects.filter(action="retention.hold_released").count() == 1


def test_a_hold_is_released_once(admin_user, client_a):
    hold = legal_hold_place(client=client_a, reason="Court order 12/2026", placed_by=admin_user)
    with pytest.raises(LegalHoldError, match="at least 10 characters"):
        legal_hold_release(hold=hold, reason="short", released_by=admin_user)
    legal_hold_release(hold=hold, reason="Investigation closed", released_by=admin_user)
    with pytest.raises(LegalHoldError, match="already released"):
        legal_hold_release(hold=hold, reason="Investigation closed twice", released_by=admin_user)
    assert AuditEntry.objects.filter(action="retention.hold_released").count() == 1
