"""The client's access to their record (issue 19, item 6): a request, the counselor's answer, what the client sees.

ACA Code of Ethics (2014) B.6.e and APA Record Keeping Guidelines (2007), guideline 10: a client has reasonable
access to their record; the counselor may limit it only where there is compelling evidence that access would cause
serious harm to the client, and records the request and the reason for withholding in the client's file. So:
each signed note is released unless the counselor withholds it with a written reason (sealed under the client's
key, kept in the file); the client is told that a part was withheld (which sessions) and how to contest it.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.http import Http404
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from clinical.models.notes import NoteRelease, NoteState, ProgressNote, RecordRequest, RecordRequestState
from clinical.notes import NoteError, note_readable
from counseling.audit import audit_record
from counseling.clock import now
from counseling.crypto import seal
from counseling.mail import email_person, language_of
from counseling.models import Role, User
from counseling.notifications import notify_user_on_commit
from counseling.statements import composed_for

WITHHOLD_REASON_MIN_CHARS = 20


def record_request_counselors(*, client):
    """The counselors who keep signed notes about the client: whom the client can ask."""
    ids = ProgressNote.objects.filter(client=client, state=NoteState.SIGNED).values("counselor_id")
    return User.objects.filter(pk__in=ids, role=Role.COUNSELOR).select_related("counselor_profile").order_by("pk")


def record_request_create(*, client, counselor_id: int, request=None) -> RecordRequest:
    """The client asks one counselor for their record; one open request per counselor at a time."""
    counselor = record_request_counselors(client=client).filter(pk=counselor_id).first()
    if counselor is None:
        raise NoteError(_("This counselor keeps no signed notes about you."))
    try:
        with transaction.atomic():
            row = RecordRequest.objects.create(client=client, counselor=counselor)
            audit_record(actor=client, action="record_request.created", target=row, subject=client, request=request)
            _tell_counselor(row)
    except IntegrityError:
        raise NoteError(_("You already asked this counselor; they have not answered yet.")) from None
    return row


def _tell_counselor(row: RecordRequest) -> None:
    path = reverse("clinical:record_request_answer", args=[row.pk])
    with translation.override(language_of(row.counselor)):
        notice = {
            "type": "record_request.created",
            "id": row.pk,
            "title": _("A client asked for their record"),
            "url": path,
            "link": _("Answer"),
        }
    notify_user_on_commit(user_id=row.counselor_id, payload=notice)
    email_person(
        recipient=row.counselor,
        subject=lambda: _("A client asked for their record"),
        body=lambda link: _("A client asked to see the notes you keep about them. Please answer:") + f"\n{link}\n",
        link_path=path,
    )


def record_requests_pending(*, counselor):
    """The counselor's record requests waiting for an answer, newest first, each with the client's pseudonym: what
    the dashboard names them by, no more (not the full rows of three tables)."""
    return (
        RecordRequest.objects.filter(counselor=counselor, state=RecordRequestState.PENDING)
        .select_related("client__client_profile")
        .only("client__client_profile__display_name")
    )


def record_requests_pending_read(*, counselor) -> list[RecordRequest]:
    """record_requests_pending's rows, its statement composed once per process (counseling.statements)."""
    values = {"counselor": getattr(counselor, "pk", counselor)}
    return composed_for(("clinical.record_requests_pending",), record_requests_pending, values).instances(values)


def access_record_request(*, user, request_id: int) -> RecordRequest:
    """The request, for the counselor it was made to; everyone else (the supervisor and admins too) gets 404."""
    row = RecordRequest.objects.select_related("client__client_profile").filter(pk=request_id).first()
    if row is None or not getattr(user, "is_counselor", False) or row.counselor_id != user.pk:
        raise Http404
    return row


def record_request_notes(row: RecordRequest):
    """The signed notes the answer covers: every signed note this counselor keeps about the client."""
    return (
        ProgressNote.objects.filter(client_id=row.client_id, counselor_id=row.counselor_id, state=NoteState.SIGNED)
        .select_related("session")
        .order_by("session__starts_at")
    )


def record_request_viewed_record(*, counselor, row: RecordRequest, request=None) -> None:
    audit_record(actor=counselor, action="record_request.viewed", target=row, subject=row.client_id, request=request)


def record_request_answer(*, counselor, row: RecordRequest, withheld: dict[int, str], request=None) -> RecordRequest:
    """Release every signed note of the request, except those withheld, each with its reason (>= 20 characters).

    withheld: {note id: reason}. The reasons are sealed under the client's key and kept in the file; the client
    is told which sessions' notes were withheld and how to contest, never the reason's text on the notice."""
    if row.counselor_id != counselor.pk:
        raise Http404
    notes = list(record_request_notes(row))
    note_ids = {note.pk for note in notes}
    unknown = set(withheld) - note_ids
    if unknown:
        raise NoteError(_("Only notes of this request can be withheld."))
    for reason in withheld.values():
        if len((reason or "").strip()) < WITHHOLD_REASON_MIN_CHARS:
            raise NoteError(
                _(
                    "Withholding a note needs the reason in at least %(count)d characters: the serious harm that "
                    "releasing it would cause (ACA B.6.e)."
                )
                % {"count": WITHHOLD_REASON_MIN_CHARS}
            )
    at = now()
    with transaction.atomic():
        answered = RecordRequest.objects.filter(pk=row.pk, state=RecordRequestState.PENDING).update(
            state=RecordRequestState.ANSWERED, answered_at=at, answered_by=counselor
        )
        if not answered:
            raise NoteError(_("This request was already answered."))
        for note in notes:
            release = NoteRelease(request=row, note=note, released=note.pk not in withheld, decided_at=at)
            if not release.released:
                release.withheld_reason_sealed = seal(
                    owner_id=row.client_id, plaintext=withheld[note.pk].strip(), context=release.reason_aad
                )
            release.save()
        row.refresh_from_db()
        audit_record(
            actor=counselor,
            action="record_request.answered",
            target=row,
            subject=row.client_id,
            request=request,
            detail={"released": len(notes) - len(withheld), "withheld": sorted(withheld)},
        )
        _tell_client(row)
    return row


def _tell_client(row: RecordRequest) -> None:
    path = reverse("clinical:client_record")
    client = row.client
    with translation.override(language_of(client)):
        notice = {
            "type": "record_request.answered",
            "id": row.pk,
            "title": _("Your counselor answered your request"),
            "url": path,
            "link": _("Your record"),
        }
    notify_user_on_commit(user_id=client.pk, payload=notice)
    email_person(
        recipient=client,
        subject=lambda: _("Your counselor answered your request"),
        body=lambda link: (
            _("Your counselor answered your request to see your record. Sign in to read it:") + f"\n{link}\n"
        ),
        link_path=path,
    )


# --- What the client sees ---------------------------------------------------------------------------


def client_released_notes(*, client) -> list[dict]:
    """The notes released to the client, as released: each with its addenda written up to the answer.

    Of a note released in several answers, the latest. The clean selector other parts of the record (shared
    treatment plans) sit beside on the client's page."""
    releases = (
        NoteRelease.objects.filter(request__client=client, request__state=RecordRequestState.ANSWERED, released=True)
        .select_related("note__session", "note__counselor__counselor_profile", "request")
        .order_by("note__session__starts_at", "-decided_at")
    )
    latest: dict[int, NoteRelease] = {}
    for release in releases:
        latest.setdefault(release.note_id, release)
    return [
        {**note_readable(release.note, until=release.decided_at), "released_at": release.decided_at}
        for release in latest.values()
    ]


def client_withheld_notes(*, client):
    """The withheld parts the client is told of (their sessions' dates and the counselor), never the reason."""
    released_later = NoteRelease.objects.filter(request__client=client, released=True).values("note_id")
    return (
        NoteRelease.objects.filter(request__client=client, released=False)
        .exclude(note_id__in=released_later)
        .select_related("note__session", "note__counselor__counselor_profile")
        .order_by("note__session__starts_at")
    )


def client_record_viewed_record(*, client, request=None) -> None:
    audit_record(actor=client, action="record.client_viewed", target=client, subject=client, request=request)


def released_note_ids(client_id: int) -> set[int]:
    return set(
        NoteRelease.objects.filter(
            request__client_id=client_id, request__state=RecordRequestState.ANSWERED, released=True
        ).values_list("note_id", flat=True)
    )
