"""The client's access to their record: a request, release or withholding with a recorded reason (ACA B.6.e)."""

import pytest

from clinical.models.notes import NoteRelease, RecordRequest
from clinical.notes import NoteError
from clinical.record_access import (
    client_released_notes,
    client_withheld_notes,
    record_request_answer,
    record_request_create,
)
from counseling.crypto import open_text
from counseling.models import AuditEntry, Notice
from tests.clinical.conftest import SOAP, held_session, signed_note

pytestmark = pytest.mark.django_db

REASON = "Reading the assessment now would likely trigger a severe relapse (documented risk)."


@pytest.fixture
def two_notes(client_a, counselor_a):
    first = signed_note(held_session(client_a, counselor_a, ended_hours_ago=100))
    second = signed_note(held_session(client_a, counselor_a, ended_hours_ago=50), sections={"plan": "Second plan"})
    return first, second


def test_the_client_sees_nothing_before_a_release(client, client_a, two_notes):
    client.force_login(client_a)
    page = client.get("/clinical/record/").content.decode()
    assert SOAP["subjective"] not in page and "Ask for my record" in page
    assert client_released_notes(client=client_a) == []


def test_a_request_reaches_the_counselor_once(
    client_a, counselor_a, counselor_b, two_notes, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        row = record_request_create(client=client_a, counselor_id=counselor_a.pk)
    assert Notice.objects.filter(user=counselor_a, kind="record_request.created").exists()
    with pytest.raises(NoteError, match="already asked"):
        record_request_create(client=client_a, counselor_id=counselor_a.pk)
    with pytest.raises(NoteError):  # a counselor who keeps no notes about her
        record_request_create(client=client_a, counselor_id=counselor_b.pk)
    assert RecordRequest.objects.filter(client=client_a).count() == 1
    assert AuditEntry.objects.get(action="record_request.created").target_id == str(row.pk)


def test_the_counselor_finds_the_request_on_their_dashboard(client, client_a, counselor_a, two_notes, staff_login):
    row = record_request_create(client=client_a, counselor_id=counselor_a.pk)
    staff_login(client, counselor_a)
    page = client.get("/counselor/").content.decode()
    assert f"/clinical/record/requests/{row.pk}/" in page and "Client A asked for their record" in page


def test_the_counselor_releases_all_and_the_client_reads_them(client, client_a, counselor_a, two_notes):
    row = record_request_create(client=client_a, counselor_id=counselor_a.pk)
    record_request_answer(counselor=counselor_a, row=row, withheld={})
    released = client_released_notes(client=client_a)
    assert [item["note"].pk for item in released] == [note.pk for note in two_notes]
    client.force_login(client_a)
    page = client.get("/clinical/record/").content.decode()
    assert SOAP["subjective"] in page and "Second plan" in page and "withheld" not in page
    assert AuditEntry.objects.get(action="record_request.answered").detail == {"released": 2, "withheld": []}


def test_withholding_needs_a_reason_and_the_client_is_told_and_how_to_contest(
    client, client_a, client_b, counselor_a, two_notes, django_capture_on_commit_callbacks
):
    first, second = two_notes
    row = record_request_create(client=client_a, counselor_id=counselor_a.pk)
    with pytest.raises(NoteError, match="serious harm"):
        record_request_answer(counselor=counselor_a, row=row, withheld={first.pk: "because"})
    row.refresh_from_db()
    assert row.state == "pending" and not NoteRelease.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        record_request_answer(counselor=counselor_a, row=row, withheld={first.pk: REASON})
    withheld = NoteRelease.objects.get(note=first)
    assert not withheld.released and b"relapse" not in bytes(withheld.withheld_reason_sealed)
    assert (
        open_text(owner_id=client_a.pk, sealed=withheld.withheld_reason_sealed, context=withheld.reason_aad) == REASON
    )
    assert [item["note"].pk for item in client_released_notes(client=client_a)] == [second.pk]
    assert list(client_withheld_notes(client=client_a)) == [withheld]
    client.force_login(client_a)
    page = client.get("/clinical/record/").content.decode()
    assert "Second plan" in page and SOAP["subjective"] not in page
    assert "A part of your record was withheld" in page and "How to contest it" in page
    assert "relapse" not in page  # the reason is in the file, not on the client's page
    assert Notice.objects.filter(user=client_a, kind="record_request.answered").exists()
    # Another client sees none of it.
    client.force_login(client_b)
    page = client.get("/clinical/record/").content.decode()
    assert "Second plan" not in page and "withheld" not in page


def test_a_request_is_answered_once_and_only_by_its_counselor(
    client, client_a, counselor_a, counselor_b, two_notes, staff_login, admin_user
):
    row = record_request_create(client=client_a, counselor_id=counselor_a.pk)
    for outsider in (counselor_b, admin_user):
        staff_login(client, outsider)
        assert client.get(f"/clinical/record/requests/{row.pk}/").status_code in (403, 404)
        assert client.post(f"/clinical/record/requests/{row.pk}/", {}).status_code in (403, 404)
    row.refresh_from_db()
    assert row.state == "pending"
    staff_login(client, counselor_a)
    assert SOAP["subjective"] in client.get(f"/clinical/record/requests/{row.pk}/").content.decode()
    assert AuditEntry.objects.filter(action="record_request.viewed", actor_id=counselor_a.pk).exists()
    first = two_notes[0]
    response = client.post(
        f"/clinical/record/requests/{row.pk}/", {f"withhold_{first.pk}": "on", f"reason_{first.pk}": REASON}
    )
    assert response.status_code == 302
    assert NoteRelease.objects.filter(request=row, released=False).count() == 1
    with pytest.raises(NoteError, match="already answered"):
        record_request_answer(counselor=counselor_a, row=row, withheld={})
