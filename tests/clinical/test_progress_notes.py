"""Progress notes: drafted, sealed under the client's key, signed and then locked; addenda; co-signing."""

import pytest
from django.http import Http404

from clinical.models.notes import NoteAddendum, NoteLocked, ProgressNote
from clinical.notes import (
    NoteError,
    access_session_note,
    note_addendum_add,
    note_cosign,
    note_readable,
    note_save_draft,
    note_sections,
    note_sign,
    supervision_assign,
)
from counseling.models import AuditEntry
from tests.clinical.conftest import SOAP, held_session, signed_note

pytestmark = pytest.mark.django_db


def test_a_draft_is_sealed_under_the_clients_key_and_opens_for_its_counselor(session_a, counselor_a):
    note = note_save_draft(counselor=counselor_a, session=session_a, structure="soap", sections=SOAP)
    stored = bytes(ProgressNote.objects.get(pk=note.pk).content_sealed)
    assert b"rahasia" not in stored and b"Sleep diary" not in stored
    assert note_sections(note) == SOAP
    assert note.state == "draft" and note.client_id == session_a.client_id
    entry = AuditEntry.objects.get(action="progress_note.draft_saved")
    assert entry.subject_id == session_a.client_id and "rahasia" not in str(entry.detail)


def test_each_structure_keeps_only_its_own_sections(session_a, counselor_a):
    birp = {"behaviour": "Quiet", "intervention": "Grounding", "response": "Calmer", "plan": "Again"}
    note = note_save_draft(counselor=counselor_a, session=session_a, structure="birp", sections={**birp, "x": "y"})
    assert note_sections(note) == birp
    with pytest.raises(NoteError):
        note_save_draft(counselor=counselor_a, session=session_a, structure="poem", sections={})


def test_a_note_is_refused_for_a_session_that_has_not_taken_place(client_a, counselor_a):
    coming = held_session(client_a, counselor_a, ended_hours_ago=-5, state="scheduled")
    with pytest.raises(NoteError, match="taken place"):
        note_save_draft(counselor=counselor_a, session=coming, structure="free", sections={"text": "x"})


def test_only_the_sessions_counselor_writes_its_note(session_a, counselor_b):
    with pytest.raises(Http404):
        note_save_draft(counselor=counselor_b, session=session_a, structure="free", sections={"text": "x"})


def test_an_empty_note_cannot_be_signed(session_a, counselor_a):
    note_save_draft(counselor=counselor_a, session=session_a, structure="dap", sections={})
    with pytest.raises(NoteError, match="Write the note"):
        note_sign(counselor=counselor_a, session=session_a)


def test_a_signed_note_is_locked_in_the_service_and_the_model(session_a, counselor_a):
    note = signed_note(session_a)
    assert note.is_signed and note.is_complete and note.signed_at is not None
    with pytest.raises(NoteError, match="locked"):
        note_save_draft(counselor=counselor_a, session=session_a, structure="soap", sections={"plan": "changed"})
    with pytest.raises(NoteError, match="already signed"):
        note_sign(counselor=counselor_a, session=session_a)
    row = ProgressNote.objects.get(pk=note.pk)
    row.structure = "free"
    with pytest.raises(NoteLocked):
        row.save()
    row = ProgressNote.objects.get(pk=note.pk)
    row.state = "draft"
    with pytest.raises(NoteLocked):
        row.save()
    with pytest.raises(NoteLocked):
        ProgressNote.objects.get(pk=note.pk).delete()
    assert note_sections(ProgressNote.objects.get(pk=note.pk)) == SOAP


def test_later_changes_are_addenda_with_their_time_and_author(session_a, counselor_a):
    access = access_session_note(user=counselor_a, session_id=session_a.pk)
    with pytest.raises(NoteError, match="signed note"):
        note_addendum_add(author=counselor_a, access=access, text="Too early")
    signed_note(session_a)
    access = access_session_note(user=counselor_a, session_id=session_a.pk)
    with pytest.raises(NoteError):
        note_addendum_add(author=counselor_a, access=access, text=" ")
    addendum = note_addendum_add(author=counselor_a, access=access, text="Client phoned: slept better")
    assert b"slept better" not in bytes(addendum.text_sealed)
    readable = note_readable(access.note)
    (shown,) = readable["addenda"]
    assert shown["text"] == "Client phoned: slept better" and shown["author"] == "Counselor A"
    assert shown["at"] == addendum.created_at
    assert [s["text"] for s in readable["sections"]] == list(SOAP.values())  # the note itself unchanged
    addendum.created_at = addendum.created_at  # an addendum is never changed
    with pytest.raises(NoteLocked):
        addendum.save()
    assert AuditEntry.objects.filter(action="progress_note.addendum_added", subject_id=session_a.client_id).count() == 1


def test_a_trainees_note_is_complete_only_once_the_supervisor_co_signs(client_a, counselor_a, counselor_b, admin_user):
    supervision_assign(supervisee=counselor_a, supervisor=counselor_b, in_training=True, assigned_by=admin_user)
    assert AuditEntry.objects.get(action="supervision.assigned").actor_id == admin_user.pk
    session = held_session(client_a, counselor_a)
    note = signed_note(session)
    assert note.cosign_required and not note.is_complete
    # The trainee cannot co-sign their own note; another counselor cannot even see it.
    with pytest.raises(Http404):
        note_cosign(supervisor=counselor_a, access=access_session_note(user=counselor_a, session_id=session.pk))
    access = access_session_note(user=counselor_b, session_id=session.pk)
    assert access.basis == "supervisor" and not access.may_write
    note = note_cosign(supervisor=counselor_b, access=access)
    assert note.is_complete and note.cosigned_by_id == counselor_b.pk
    with pytest.raises(NoteError, match="already co-signed"):
        note_cosign(supervisor=counselor_b, access=access_session_note(user=counselor_b, session_id=session.pk))
    entry = AuditEntry.objects.get(action="progress_note.cosigned")
    assert entry.actor_id == counselor_b.pk and entry.subject_id == client_a.pk


def test_a_counselor_not_in_training_needs_no_co_signature(client_a, counselor_a, counselor_b, admin_user):
    supervision_assign(supervisee=counselor_a, supervisor=counselor_b, in_training=False, assigned_by=admin_user)
    note = signed_note(held_session(client_a, counselor_a))
    assert not note.cosign_required and note.is_complete


def test_supervision_is_refused_for_oneself_a_client_or_training_without_supervisor(client_a, counselor_a, admin_user):
    with pytest.raises(NoteError):
        supervision_assign(supervisee=counselor_a, supervisor=counselor_a, in_training=False, assigned_by=admin_user)
    with pytest.raises(NoteError):
        supervision_assign(supervisee=counselor_a, supervisor=client_a, in_training=False, assigned_by=admin_user)
    with pytest.raises(NoteError):
        supervision_assign(supervisee=counselor_a, supervisor=None, in_training=True, assigned_by=admin_user)


def test_addenda_of_a_note_keep_their_order(session_a, counselor_a):
    signed_note(session_a)
    access = access_session_note(user=counselor_a, session_id=session_a.pk)
    for text in ("first addendum", "second addendum"):
        note_addendum_add(author=counselor_a, access=access, text=text)
    assert [a["text"] for a in note_readable(access.note)["addenda"]] == ["first addendum", "second addendum"]
    assert NoteAddendum.objects.filter(note=access.note).count() == 2
