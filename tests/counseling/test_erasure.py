"""Erasure requests: the client asks, staff see the duties and answer with the reason, the client is told."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.utils import translation
from django.utils.formats import date_format

from counseling import clock
from counseling.models import AuditEntry, User
from records.models import ErasureRequest, LegalHold, RetentionRule, RetentionTombstone
from tests.counseling.test_escalation_support import eager_celery, make_message, pushed  # noqa: F401

pytestmark = pytest.mark.usefixtures("eager_celery", "pushed")


@pytest.fixture
def asked(client, client_a, counselor_a):
    make_message(client_a, counselor_a, "a clinical record")
    client.force_login(client_a)
    client.post("/privacy/erasure/")
    client.logout()
    return ErasureRequest.objects.get(client=client_a)


def test_a_client_can_ask_for_erasure_once_at_a_time(client, client_a):
    client.force_login(client_a)
    assert "Ask for erasure" in client.get("/privacy/erasure/").content.decode()
    client.post("/privacy/erasure/")
    client.post("/privacy/erasure/")
    assert ErasureRequest.objects.filter(client=client_a).count() == 1
    page = client.get("/privacy/erasure/").content.decode()
    assert "Staff will answer it with the reason." in page and "Ask for erasure" not in page
    assert AuditEntry.objects.filter(action="erasure.requested").count() == 1


def test_staff_see_the_duties_and_answer_keep_until_the_date_of_the_rule(
    client, asked, admin_user, staff_login, client_a, django_capture_on_commit_callbacks
):
    staff_login(client, admin_user)
    page = client.get(f"/staff/erasure/{asked.pk}/").content.decode()
    until = (clock.now().date().replace(year=clock.now().year + 7)).isoformat()
    assert "APA default: 7 years after last contact" in page and until in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/staff/erasure/{asked.pk}/")
    asked.refresh_from_db()
    assert asked.decision == "keep_until" and asked.keep_until.isoformat() == until
    assert asked.rule.startswith("APA default")
    # The client is told in their language (Indonesian): the date as they write it, the rule by name, and
    # that it is the rule we follow (an APA guideline), not a claim that the law requires it.
    told = [m for m in mail.outbox if client_a.email in m.to]
    with translation.override("id"):
        local_date = date_format(asked.keep_until, "DATE_FORMAT")
    assert len(told) == 1 and local_date in told[0].body and until not in told[0].body
    assert "pedoman pencatatan APA" in told[0].body and "aturan penyimpanan catatan yang kami ikuti" in told[0].body
    assert "Hukum mewajibkan" not in told[0].body and "APA default" not in told[0].body
    client.force_login(client_a)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"
    assert local_date in client.get("/privacy/erasure/").content.decode()
    assert User.objects.filter(pk=client_a.pk, is_active=True).exists()


def test_a_legal_hold_keeps_the_data_and_says_so(client, asked, admin_user, staff_login, client_a):
    LegalHold.objects.create(client=client_a, reason="Subpoena", placed_by=admin_user)
    staff_login(client, admin_user)
    assert "Subpoena" in client.get(f"/staff/erasure/{asked.pk}/").content.decode()
    client.post(f"/staff/erasure/{asked.pk}/")
    asked.refresh_from_db()
    assert asked.decision == "keep_until" and asked.rule == "legal hold"


def test_with_no_duty_left_the_answer_is_erase_now_and_the_client_is_destroyed(
    client, asked, admin_user, staff_login, client_a, django_capture_on_commit_callbacks
):
    RetentionRule.objects.update(is_active=False)
    RetentionRule.objects.create(name="No retention duty", years_after_last_contact=0, years_after_majority=0)
    User.objects.filter(pk=client_a.pk).update(date_joined=clock.now() - timedelta(days=2))
    client_id, email = client_a.pk, client_a.email
    staff_login(client, admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/staff/erasure/{asked.pk}/")
    asked.refresh_from_db()
    assert asked.decision == "erase_now"
    assert not User.objects.filter(pk=client_id).exists()
    tomb = RetentionTombstone.objects.get(subject_id=client_id)
    assert tomb.rule == f"erasure request #{asked.pk}" and tomb.destroyed_by == admin_user.email
    assert asked.subject_id == client_id and asked.client is None
    # client_a reads Indonesian: "Your data is being erased now ..."
    assert any(email in m.to and "Data Anda sedang dihapus" in m.body for m in mail.outbox)


@pytest.mark.parametrize("path", ["/staff/erasure/", "/staff/erasure/{pk}/"])
def test_erasure_staff_pages_refuse_clients_counselors_and_anonymous(
    client, asked, client_b, counselor_a, staff_login, path
):
    path = path.format(pk=asked.pk)
    anonymous = client.get(path)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    client.force_login(client_b)
    assert client.get(path).status_code == 403
    assert client.post(path).status_code == 403
    staff_login(client, counselor_a)
    assert client.get(path).status_code == 403
    asked.refresh_from_db()
    assert asked.decision == "pending"


def test_a_missing_request_is_404_for_admins(client, admin_user, staff_login):
    staff_login(client, admin_user)
    assert client.get("/staff/erasure/999999/").status_code == 404


def test_a_client_sees_only_their_own_requests(client, asked, client_b):
    client.force_login(client_b)
    page = client.get("/privacy/erasure/").content.decode()
    assert "Your requests" not in page


def test_the_client_erasure_page_refuses_staff_and_anonymous(client, db, counselor_a, staff_login):
    assert client.get("/privacy/erasure/").status_code == 302
    staff_login(client, counselor_a)
    assert client.post("/privacy/erasure/").status_code == 403
    assert not ErasureRequest.objects.exists()
