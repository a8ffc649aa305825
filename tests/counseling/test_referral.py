"""Referral to in-person care: recorded by the counselor, sealed, kept, audit-logged, seen by the client."""

from datetime import timedelta

import pytest

from counseling.clock import now
from counseling.models import AuditEntry
from sessions.models import CounselingSession, Referral

pytestmark = pytest.mark.django_db

REASON = "Needs weekly face-to-face therapy for trauma"
WHERE = "RSUP Dr. Sardjito, Poli Jiwa, Yogyakarta"


@pytest.fixture
def relationship(client_a, counselor_a):
    start = now() + timedelta(days=2)
    return CounselingSession.objects.create(
        client=client_a, counselor=counselor_a, starts_at=start, ends_at=start + timedelta(minutes=50)
    )


def test_counselor_records_a_referral_the_client_sees_it_and_the_record_is_sealed(
    client, relationship, client_a, counselor_a, staff_login
):
    staff_login(client, counselor_a)
    response = client.post(f"/sessions/clients/{client_a.pk}/", {"reason": REASON, "destination": WHERE})
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert (referral.client, referral.counselor) == (client_a, counselor_a)
    assert REASON.encode() not in bytes(referral.reason_sealed)
    assert WHERE.encode() not in bytes(referral.destination_sealed)
    entry = AuditEntry.objects.get(action="referral.created")
    assert entry.subject_id == client_a.pk and REASON not in str(entry.detail)
    assert WHERE in client.get(f"/sessions/clients/{client_a.pk}/").content.decode()

    client.force_login(client_a)
    page = client.get("/client/").content.decode()
    assert "Referrals to in-person care" in page or "Rujukan" in page
    assert WHERE in page and REASON in page


def test_a_referral_needs_a_reason_and_a_destination(client, relationship, client_a, counselor_a, staff_login):
    staff_login(client, counselor_a)
    response = client.post(f"/sessions/clients/{client_a.pk}/", {"reason": "", "destination": WHERE})
    assert response.status_code == 200
    assert not Referral.objects.exists()


def test_a_counselor_cannot_refer_someone_elses_client(client, relationship, client_a, counselor_b, staff_login):
    staff_login(client, counselor_b)
    response = client.post(f"/sessions/clients/{client_a.pk}/", {"reason": REASON, "destination": WHERE})
    assert response.status_code == 404
    assert not Referral.objects.exists()


def test_clients_and_anonymous_visitors_cannot_record_referrals(client, relationship, client_a, client_b):
    assert client.post(f"/sessions/clients/{client_a.pk}/", {"reason": REASON, "destination": WHERE}).status_code == 302
    client.force_login(client_b)
    assert client.post(f"/sessions/clients/{client_a.pk}/", {"reason": REASON, "destination": WHERE}).status_code == 403
    assert not Referral.objects.exists()


def test_another_client_never_sees_a_referral(client, relationship, client_a, client_b, counselor_a):
    from sessions.services import referral_create

    referral_create(counselor=counselor_a, client=client_a, reason=REASON, destination=WHERE)
    client.force_login(client_b)
    assert WHERE not in client.get("/client/").content.decode()


def test_a_referral_whose_key_was_destroyed_is_kept_but_reads_as_unreadable(
    client, relationship, client_a, counselor_a
):
    from counseling.crypto import data_key_destroy
    from sessions.services import referral_create

    referral_create(counselor=counselor_a, client=client_a, reason=REASON, destination=WHERE)
    data_key_destroy(owner_id=client_a.pk)
    client.force_login(client_a)
    page = client.get("/client/").content.decode()
    assert Referral.objects.count() == 1
    assert WHERE not in page and ("can no longer be read" in page or "tidak dapat" in page)
