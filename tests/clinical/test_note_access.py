"""Who may read a note: the session's counselor and their supervisor; the client only through a release; admins
and other counselors never. Every staff read is audited."""

import pytest

from clinical.models.notes import ProgressNote
from clinical.notes import supervision_assign
from counseling.models import AuditEntry
from tests.clinical.conftest import SOAP, held_session, signed_note

pytestmark = pytest.mark.django_db

SECRET = SOAP["subjective"]


def note_url(session) -> str:
    return f"/clinical/sessions/{session.pk}/note/"


def test_the_counselor_reads_their_sessions_note_and_the_read_is_audited(client, session_a, counselor_a, staff_login):
    signed_note(session_a)
    staff_login(client, counselor_a)
    response = client.get(note_url(session_a))
    assert response.status_code == 200 and SECRET in response.content.decode()
    entry = AuditEntry.objects.filter(action="progress_note.viewed").latest("sequence")
    assert entry.actor_id == counselor_a.pk and entry.subject_id == session_a.client_id
    assert entry.detail["basis"] == "counselor"


@pytest.mark.parametrize("persona", ["counselor_b", "admin_user", "client_a", "client_b"])
def test_everyone_else_is_refused_without_a_word_of_the_note(
    client, session_a, persona, staff_login, request, counselor_b, admin_user, client_a, client_b
):
    signed_note(session_a)
    user = request.getfixturevalue(persona)
    if user.role == "client":
        client.force_login(user)
    else:
        staff_login(client, user)
    note = ProgressNote.objects.get(session=session_a)
    for url in (note_url(session_a), note_url(session_a) + "addendum/", f"/clinical/notes/{note.pk}/cosign/"):
        response = client.get(url)
        assert response.status_code in (403, 404, 405)
        response = client.post(url, {"text": "an intruder's addendum", "section_plan": "x", "structure": "soap"})
        assert response.status_code in (403, 404)
        assert SECRET not in response.content.decode()
    assert not AuditEntry.objects.filter(action="progress_note.viewed").exists()
    assert not ProgressNote.objects.get(session=session_a).addenda.exists()


def test_the_supervisor_reads_and_co_signs_through_the_page(
    client, client_a, counselor_a, counselor_b, admin_user, staff_login
):
    supervision_assign(supervisee=counselor_a, supervisor=counselor_b, in_training=True, assigned_by=admin_user)
    session = held_session(client_a, counselor_a)
    signed_note(session)
    staff_login(client, counselor_b)
    page = client.get(note_url(session)).content.decode()
    assert SECRET in page and "Co-sign the note" in page and "Save draft" not in page
    # A supervisor reads; only the session's counselor writes the note itself.
    assert client.post(note_url(session), {"structure": "soap", "section_plan": "rewritten"}).status_code == 404
    note = ProgressNote.objects.get(session=session)
    assert client.post(f"/clinical/notes/{note.pk}/cosign/").status_code == 302
    assert ProgressNote.objects.get(session=session).cosigned_by_id == counselor_b.pk
    assert AuditEntry.objects.filter(action="progress_note.viewed", actor_id=counselor_b.pk).exists()
    # The supervisees' caseloads: theirs only, audited.
    response = client.get(f"/clinical/supervision/{counselor_a.pk}/")
    assert response.status_code == 200 and "Client A" in response.content.decode()
    assert AuditEntry.objects.filter(action="supervision.caseload_viewed", actor_id=counselor_b.pk).exists()


def test_a_former_supervisor_loses_access(client, client_a, counselor_a, counselor_b, admin_user, staff_login):
    supervision_assign(supervisee=counselor_a, supervisor=counselor_b, in_training=False, assigned_by=admin_user)
    session = held_session(client_a, counselor_a)
    signed_note(session)
    supervision_assign(supervisee=counselor_a, supervisor=None, in_training=False, assigned_by=admin_user)
    staff_login(client, counselor_b)
    assert client.get(note_url(session)).status_code == 404
    assert client.get(f"/clinical/supervision/{counselor_a.pk}/").status_code == 404


def test_the_counselor_writes_and_signs_through_the_page(client, session_a, counselor_a, staff_login):
    staff_login(client, counselor_a)
    page = client.get(note_url(session_a) + "?structure=dap").content.decode()
    assert "Data: what the client said and did" in page
    form = {"structure": "dap", "section_data": "Talked about sleep", "section_assessment": "", "section_plan": "Diary"}
    assert client.post(note_url(session_a), {**form, "action": "save"}).status_code == 302
    note = ProgressNote.objects.get(session=session_a)
    assert note.state == "draft" and note.structure == "dap"
    assert client.post(note_url(session_a), {**form, "action": "sign"}).status_code == 302
    note.refresh_from_db()
    assert note.is_signed
    # Signed: the page shows the note and the addendum form, no longer the draft form.
    page = client.get(note_url(session_a)).content.decode()
    assert "Talked about sleep" in page and "Save draft" not in page and "Add the addendum" in page
    response = client.post(note_url(session_a), {**form, "section_data": "rewritten", "action": "save"})
    assert "locked" in response.content.decode()
    assert client.post(note_url(session_a) + "addendum/", {"text": "Later: she slept better"}).status_code == 302
    assert "Later: she slept better" in client.get(note_url(session_a)).content.decode()


def test_admins_assign_supervisors_on_their_page(client, counselor_a, counselor_b, admin_user, staff_login):
    staff_login(client, admin_user)
    response = client.post(
        "/clinical/supervision/manage/",
        {"supervisee": counselor_a.pk, "supervisor": counselor_b.pk, "in_training": "on"},
    )
    assert response.status_code == 302
    assert counselor_a.supervision.supervisor_id == counselor_b.pk and counselor_a.supervision.in_training
    staff_login(client, counselor_b)
    assert client.get("/clinical/supervision/manage/").status_code == 403
