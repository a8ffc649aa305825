"""What the progress notes tell the retention engine (records.registry): where their sealed text is (key rotation),
their rows (deleted in batches before the account when a client is destroyed) and their section of the client's
own copy of their data (docs/client-export.md, "progress_notes")."""

from django.urls import reverse

from clinical.models.notes import NoteAddendum, NoteRelease, ProgressNote
from clinical.notes import client_progress_notes, note_readable
from clinical.record_access import released_note_ids
from records.registry import RecordSource, SealedField, record_source_register, sealed_field_register


def progress_notes_client_export(client) -> dict:
    """Every note about the client: its session, counselor, structure and state; the text only of the notes
    released to them (clinical.record_access): a note withheld for serious harm (ACA B.6.e) or not yet asked for
    is listed without its text, so the export does not undo the counselor's decision."""
    released = released_note_ids(client.pk)
    rows = []
    notes = ProgressNote.objects.filter(client=client).select_related("session", "counselor__counselor_profile")
    for note in notes.order_by("session__starts_at", "pk"):
        row = {
            "session_starts_at": note.session.starts_at.isoformat(),
            "counselor": note.counselor.display_name,
            "structure": note.structure,
            "state": note.state,
            "signed_at": note.signed_at.isoformat() if note.signed_at else None,
            "cosigned_at": note.cosigned_at.isoformat() if note.cosigned_at else None,
            "released_to_you": note.pk in released,
            "sections": None,
            "addenda": None,
        }
        if note.pk in released:
            readable = note_readable(note)
            row["sections"] = {section["key"]: section["text"] for section in readable["sections"]}
            row["addenda"] = [
                {"author": addendum["author"], "at": addendum["at"].isoformat(), "text": addendum["text"]}
                for addendum in readable["addenda"]
            ]
        rows.append(row)
    return {"notes": rows, "how_to_ask": reverse("clinical:client_record")}


def connect() -> None:
    record_source_register(
        RecordSource(name="progress_notes", bulk_rows=client_progress_notes, export=progress_notes_client_export)
    )
    sealed_field_register(
        SealedField(model=ProgressNote, field="content_sealed", owner="client_id", context="content_aad"),
        SealedField(model=NoteAddendum, field="text_sealed", owner="note__client_id", context="text_aad"),
        SealedField(
            model=NoteRelease, field="withheld_reason_sealed", owner="request__client_id", context="reason_aad"
        ),
    )
