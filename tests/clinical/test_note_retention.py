"""Notes follow the rest of the client's record: the client's export, key rotation, crypto-shredding and deletion."""

import json

import pytest

from clinical.models.notes import NoteAddendum, NoteRelease, ProgressNote
from clinical.notes import access_session_note, note_addendum_add, note_readable, note_sections
from clinical.record_access import record_request_answer, record_request_create
from counseling.crypto import DecryptionError
from records.registry import record_sources, sealed_fields
from records.services import client_export, client_purge_batch, client_shred, data_key_rotate_one
from tests.clinical.conftest import SOAP, held_session, signed_note
from tests.counseling.test_escalation_support import eager_celery  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]

REASON = "Releasing this would cause serious harm right now, see the risk assessment."


@pytest.fixture
def record(client_a, counselor_a):
    first = signed_note(held_session(client_a, counselor_a, ended_hours_ago=100))
    access = access_session_note(user=counselor_a, session_id=first.session_id)
    note_addendum_add(author=counselor_a, access=access, text="Addendum: medication changed by her GP")
    second = signed_note(held_session(client_a, counselor_a, ended_hours_ago=50), sections={"plan": "Withheld plan"})
    row = record_request_create(client=client_a, counselor_id=counselor_a.pk)
    record_request_answer(counselor=counselor_a, row=row, withheld={second.pk: REASON})
    return first, second


def test_notes_are_registered_with_the_retention_engine():
    source = next(source for source in record_sources() if source.name == "progress_notes")
    assert source.bulk_rows is not None and source.export is not None
    registered = {(sealed.model, sealed.field) for sealed in sealed_fields()}
    assert {(ProgressNote, "content_sealed"), (NoteAddendum, "text_sealed")} <= registered
    assert (NoteRelease, "withheld_reason_sealed") in registered


def test_the_export_lists_every_note_and_holds_the_text_only_of_released_ones(client_a, record):
    data = json.loads(json.dumps(client_export(client=client_a), default=str))
    notes = data["progress_notes"]["notes"]
    assert [note["released_to_you"] for note in notes] == [True, False]
    assert notes[0]["sections"] == SOAP and notes[0]["addenda"][0]["text"] == "Addendum: medication changed by her GP"
    assert notes[0]["counselor"] == "Counselor A" and notes[0]["state"] == "signed"
    assert notes[1]["sections"] is None and notes[1]["addenda"] is None
    raw = json.dumps(data)
    assert "Withheld plan" not in raw and REASON not in raw


def test_a_key_rotation_reseals_notes_addenda_and_reasons(client_a, record):
    first, _second = record
    before = bytes(ProgressNote.objects.get(pk=first.pk).content_sealed)
    assert data_key_rotate_one(owner_id=client_a.pk) >= 4
    note = ProgressNote.objects.get(pk=first.pk)
    assert bytes(note.content_sealed) != before and note_sections(note) == SOAP
    assert note_readable(note)["addenda"][0]["text"] == "Addendum: medication changed by her GP"
    assert note.is_signed  # the lock is on save(); a rotation re-seals through a queryset update


def test_shredding_makes_notes_unreadable_and_the_purge_deletes_them(client_a, client_b, counselor_a, record):
    other = signed_note(held_session(client_b, counselor_a, ended_hours_ago=10))
    assert client_shred(client_id=client_a.pk, rule="test rule")
    note = ProgressNote.objects.get(pk=record[0].pk)
    with pytest.raises(DecryptionError):
        note_sections(note)
    assert note_readable(note)["unreadable"] is True
    for _batch in range(20):
        if client_purge_batch(client_id=client_a.pk):
            break
    assert not ProgressNote.objects.filter(client_id=client_a.pk).exists()
    assert not NoteAddendum.objects.exists() and not NoteRelease.objects.exists()
    assert note_sections(ProgressNote.objects.get(pk=other.pk)) == SOAP  # another client's note is untouched
