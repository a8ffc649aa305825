"""Progress notes and supervision: who may read a note, and every write (draft, sign, addendum, co-sign,
reminders, assigning a supervisor), each in one transaction with its audit entry.

Who may read a note (docs/security.md): the session's counselor and their supervisor. Admins never (the
break-glass path aside); the client only through a release (clinical.record_access). Note text is sealed under
the client's data key and never appears in audit detail, notices, e-mails or task arguments.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Func, IntegerField, Max, OuterRef, Q, Subquery, Window
from django.http import Http404
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from clinical.models.notes import (
    NOTE_SECTIONS,
    NoteAddendum,
    NoteReminder,
    NoteState,
    ProgressNote,
    Supervision,
)
from counseling.audit import audit_record
from counseling.clock import now
from counseling.crypto import DecryptionError, open_text, seal
from counseling.mail import email_person, language_of
from counseling.models import ClientProfile, Role, User
from counseling.notifications import notify_user_on_commit
from counseling.statements import composed_for
from sessions.models import CounselingSession, SessionState

NOTE_SECTION_MAX_CHARS = 20_000
ADDENDUM_MIN_CHARS = 3

# A note can be written once the session took place (or was under way); never for one cancelled or not yet begun.
NOTE_SESSION_STATES = (SessionState.IN_PROGRESS, SessionState.COMPLETED, SessionState.NO_SHOW)
# The sessions whose note is due: held ones (a no-show needs no progress note).
HELD_STATES = (SessionState.IN_PROGRESS, SessionState.COMPLETED)


class NoteError(ValueError):
    """A write that cannot be done; the message says why, in the user's language."""


# --- Supervision ------------------------------------------------------------------------------------


def supervisor_of(counselor_id: int) -> int | None:
    return Supervision.objects.filter(supervisee_id=counselor_id).values_list("supervisor_id", flat=True).first()


def counselor_in_training(counselor_id: int) -> bool:
    return Supervision.objects.filter(supervisee_id=counselor_id, in_training=True).exists()


def supervisees_of(supervisor):
    return (
        User.objects.filter(role=Role.COUNSELOR, supervision__supervisor=supervisor)
        .select_related("counselor_profile", "supervision")
        .order_by("counselor_profile__display_name", "pk")
    )


def supervision_assign(*, supervisee, supervisor, in_training: bool, assigned_by, request=None) -> Supervision:
    """An admin sets a counselor's supervisor (None: none) and whether they are in training. Audited."""
    if supervisee.role != Role.COUNSELOR:
        raise NoteError(_("Only a counselor can be supervised."))
    if supervisor is not None and (supervisor.role != Role.COUNSELOR or supervisor.pk == supervisee.pk):
        raise NoteError(_("The supervisor must be another counselor."))
    if in_training and supervisor is None:
        raise NoteError(_("A counselor in training needs a supervisor to co-sign their notes."))
    with transaction.atomic():
        row, _created = Supervision.objects.update_or_create(
            supervisee=supervisee,
            defaults={
                "supervisor": supervisor,
                "in_training": in_training,
                "assigned_by": assigned_by,
                "assigned_at": now(),
            },
        )
        audit_record(
            actor=assigned_by,
            action="supervision.assigned",
            target=row,
            request=request,
            detail={
                "supervisee": supervisee.pk,
                "supervisor": supervisor.pk if supervisor else None,
                "in_training": in_training,
            },
        )
    return row


def supervisee_caseload(*, supervisor, supervisee_id: int):
    """The clients of one supervisee (one row per client, with their sessions' count and latest start), or 404."""
    supervisee = supervisees_of(supervisor).filter(pk=supervisee_id).first()
    if supervisee is None:
        raise Http404
    clients = (
        User.objects.filter(role=Role.CLIENT, client_sessions__counselor=supervisee)
        .select_related("client_profile")
        .annotate(
            sessions_held=Count("client_sessions", filter=Q(client_sessions__counselor=supervisee)),
            last_session_at=Max("client_sessions__starts_at", filter=Q(client_sessions__counselor=supervisee)),
        )
        .order_by("client_profile__display_name", "pk")
    )
    return supervisee, clients


def supervisee_sessions(*, supervisee, limit: int = 50):
    """The supervisee's latest held sessions with their note (if any), for the supervisor to read and co-sign."""
    return (
        CounselingSession.objects.filter(counselor=supervisee, state__in=NOTE_SESSION_STATES)
        .select_related("client__client_profile", "progress_note")
        .order_by("-starts_at")[:limit]
    )


def supervisee_caseload_viewed_record(*, supervisor, supervisee, request=None) -> None:
    """Audit a supervisor's read of a supervisee's caseload (their clients' pseudonyms and sessions)."""
    audit_record(actor=supervisor, action="supervision.caseload_viewed", target=supervisee, request=request, detail={})


# --- Who may read a note ----------------------------------------------------------------------------


@dataclass(frozen=True)
class NoteAccess:
    session: CounselingSession
    note: ProgressNote | None
    basis: str  # "counselor" or "supervisor"

    @property
    def may_write(self) -> bool:
        return self.basis == "counselor"


def access_session_note(*, user, session_id: int) -> NoteAccess:
    """The session and its note (None before the first draft) for its counselor or their supervisor, else 404.

    Clients, other counselors and admins get 404: a client reads notes only through a release."""
    if not getattr(user, "is_counselor", False):
        raise Http404
    session = CounselingSession.objects.select_related("client__client_profile", "counselor").filter(pk=session_id)
    session = session.first()
    if session is None:
        raise Http404
    if session.counselor_id == user.pk:
        basis = "counselor"
    elif supervisor_of(session.counselor_id) == user.pk:
        basis = "supervisor"
    else:
        raise Http404
    note = ProgressNote.objects.filter(session=session).select_related("cosigned_by").first()
    return NoteAccess(session=session, note=note, basis=basis)


def access_note(*, user, note_id: int) -> NoteAccess:
    """A note by its id, under the same rule as access_session_note; 404 for a missing note and anyone else."""
    session_id = ProgressNote.objects.filter(pk=note_id).values_list("session_id", flat=True).first()
    if session_id is None:
        raise Http404
    return access_session_note(user=user, session_id=session_id)


def note_sections(note: ProgressNote) -> dict[str, str]:
    """The note's sections, opened in memory ({} for an empty draft; raises DecryptionError when shredded)."""
    text = open_text(owner_id=note.client_id, sealed=note.content_sealed, context=note.content_aad)
    return json.loads(text) if text else {}


def note_readable(note: ProgressNote, *, until: datetime | None = None) -> dict:
    """What a page shows of a note: its sections with their labels, and its addenda (up to `until`)."""
    try:
        values = note_sections(note)
        unreadable = False
    except DecryptionError:
        values, unreadable = {}, True
    addenda = note.addenda.select_related("author__counselor_profile")
    if until is not None:
        addenda = addenda.filter(created_at__lte=until)
    return {
        "note": note,
        "unreadable": unreadable,
        "sections": [
            {"key": key, "label": label, "text": values.get(key, "")} for key, label in NOTE_SECTIONS[note.structure]
        ],
        "addenda": [
            {
                "author": addendum.author.display_name,
                "at": addendum.created_at,
                "text": _open_or_notice(note.client_id, addendum.text_sealed, addendum.text_aad),
            }
            for addendum in addenda
        ],
    }


def _open_or_notice(owner_id: int, sealed, context: str) -> str:
    try:
        return open_text(owner_id=owner_id, sealed=sealed, context=context)
    except DecryptionError:
        return _("[this note cannot be opened]")


def note_viewed_record(*, user, access: NoteAccess, request=None) -> None:
    """Audit a staff read of a note (its counselor or their supervisor)."""
    audit_record(
        actor=user,
        action="progress_note.viewed",
        target=access.note if access.note is not None else access.session,
        subject=access.session.client_id,
        request=request,
        detail={"session": access.session.pk, "basis": access.basis},
    )


# --- Writing and signing ----------------------------------------------------------------------------


def _clean_sections(structure: str, sections: dict) -> dict[str, str]:
    if structure not in NOTE_SECTIONS:
        raise NoteError(_("Choose one of the note structures."))
    kept = {}
    for key, _label in NOTE_SECTIONS[structure]:
        text = str(sections.get(key) or "").strip()
        if len(text) > NOTE_SECTION_MAX_CHARS:
            raise NoteError(_("A section may hold at most %(count)d characters.") % {"count": NOTE_SECTION_MAX_CHARS})
        kept[key] = text
    return kept


def _note_for_update(*, counselor, session: CounselingSession) -> ProgressNote:
    if session.counselor_id != counselor.pk:
        raise Http404
    if session.state not in NOTE_SESSION_STATES:
        raise NoteError(_("A note can be written once the session has taken place."))
    note, _created = ProgressNote.objects.select_for_update().get_or_create(
        session=session, defaults={"client_id": session.client_id, "counselor_id": session.counselor_id}
    )
    return note


def note_save_draft(*, counselor, session: CounselingSession, structure: str, sections: dict, request=None):
    """Write (or rewrite) the draft of a session's note, sealed under the client's key. Refused once signed."""
    kept = _clean_sections(structure, sections)
    with transaction.atomic():
        note = _note_for_update(counselor=counselor, session=session)
        if note.is_signed:
            raise NoteError(_("This note is signed and locked. Add an addendum instead."))
        note.structure = structure
        note.content_sealed = seal(owner_id=session.client_id, plaintext=json.dumps(kept), context=note.content_aad)
        note.updated_at = now()
        note.save()
        audit_record(
            actor=counselor,
            action="progress_note.draft_saved",
            target=note,
            subject=session.client_id,
            request=request,
            detail={"session": session.pk, "structure": structure},
        )
    return note


def note_sign(*, counselor, session: CounselingSession, request=None) -> ProgressNote:
    """Sign the draft: from now on it is locked. A counselor in training's note then waits for a co-signature."""
    with transaction.atomic():
        note = _note_for_update(counselor=counselor, session=session)
        if note.is_signed:
            raise NoteError(_("This note is already signed."))
        try:
            written = any(note_sections(note).values())
        except DecryptionError:
            written = False
        if not written:
            raise NoteError(_("Write the note before signing it."))
        note.state = NoteState.SIGNED
        note.signed_at = now()
        note.cosign_required = counselor_in_training(counselor.pk)
        note.save()
        audit_record(
            actor=counselor,
            action="progress_note.signed",
            target=note,
            subject=session.client_id,
            request=request,
            detail={"session": session.pk, "cosign_required": note.cosign_required},
        )
    return note


def note_addendum_add(*, author, access: NoteAccess, text: str, request=None) -> NoteAddendum:
    """A later change to a signed note: its own sealed text, with its time and author (the counselor or supervisor)."""
    text = (text or "").strip()
    if len(text) < ADDENDUM_MIN_CHARS:
        raise NoteError(_("Write the addendum."))
    if len(text) > NOTE_SECTION_MAX_CHARS:
        raise NoteError(_("A section may hold at most %(count)d characters.") % {"count": NOTE_SECTION_MAX_CHARS})
    note = access.note
    if note is None or not note.is_signed:
        raise NoteError(_("An addendum follows a signed note; change the draft itself until it is signed."))
    with transaction.atomic():
        addendum = NoteAddendum(note=note, author=author, created_at=now())
        addendum.text_sealed = seal(owner_id=note.client_id, plaintext=text, context=addendum.text_aad)
        addendum.save()
        audit_record(
            actor=author,
            action="progress_note.addendum_added",
            target=addendum,
            subject=note.client_id,
            request=request,
            detail={"note": note.pk, "basis": access.basis},
        )
    return addendum


def note_cosign(*, supervisor, access: NoteAccess, request=None) -> ProgressNote:
    """The supervisor co-signs a signed note of their supervisee; a trainee's note is complete from then on."""
    note = access.note
    if access.basis != "supervisor":
        raise Http404
    if note is None or not note.is_signed:
        raise NoteError(_("Only a signed note can be co-signed."))
    with transaction.atomic():
        cosigned = ProgressNote.objects.filter(pk=note.pk, cosigned_at__isnull=True).update(
            cosigned_by=supervisor, cosigned_at=now()
        )
        if not cosigned:
            raise NoteError(_("This note is already co-signed."))
        note.refresh_from_db()
        audit_record(
            actor=supervisor,
            action="progress_note.cosigned",
            target=note,
            subject=note.client_id,
            request=request,
            detail={"session": note.session_id, "counselor": note.counselor_id},
        )
    return note


# --- What is due ------------------------------------------------------------------------------------


def sessions_needing_notes(*, counselor, at: datetime | None = None):
    """The counselor's held sessions that ended and have no signed note yet (none, or a draft), oldest first."""
    at = at or now()
    return (
        CounselingSession.objects.filter(counselor=counselor, state__in=HELD_STATES, ends_at__lte=at)
        .filter(Q(progress_note__isnull=True) | Q(progress_note__state=NoteState.DRAFT))
        .select_related("client__client_profile", "progress_note")
        .order_by("ends_at", "pk")
    )


def _notes_unsigned_shown(*, counselor, at):
    """What the panel shows of each unsigned note's session, as values (no instances of four models per row); the
    count of all of them (before the limit) rides along in the same query, and so does the count of signed notes
    awaiting a co-signature (a subquery of its own, evaluated once). The client's pseudonym is a subquery, not a
    join: PostgreSQL reads it for the shown rows only, after the sort and the limit (a join read it for every
    unsigned session)."""
    awaiting = _notes_awaiting_own_cosign(counselor=counselor)
    return (
        sessions_needing_notes(counselor=counselor, at=at)
        .annotate(
            client_name=Subquery(ClientProfile.objects.filter(user_id=OuterRef("client_id")).values("display_name")),
            note_id=F("progress_note__id"),
            total=Window(Count("pk")),
            awaiting_cosign=Subquery(
                awaiting.order_by().annotate(n=Func("pk", function="COUNT")).values("n"), output_field=IntegerField()
            ),
        )
        .values("pk", "starts_at", "ends_at", "client_name", "note_id", "total", "awaiting_cosign")
    )


def _notes_awaiting_own_cosign(*, counselor):
    return ProgressNote.objects.filter(
        counselor=counselor, state=NoteState.SIGNED, cosign_required=True, cosigned_at__isnull=True
    )


def notes_unsigned_panel(*, counselor, at: datetime | None = None, limit: int = 20) -> dict:
    """The counselor dashboard's panel: unsigned notes of past sessions, each with when it is (was) due."""
    at = at or now()
    due_after = timedelta(hours=settings.PROGRESS_NOTE_DUE_HOURS)
    values = {"counselor": counselor.pk, "at": at}
    statement = composed_for(("notes_unsigned_panel",), _notes_unsigned_shown, values)  # (counseling.statements)
    shown = statement.rows(values, high=limit)
    rows = [
        {
            "session_id": session["pk"],
            "starts_at": session["starts_at"],
            "client_name": session["client_name"],
            "due_at": session["ends_at"] + due_after,
            "overdue": session["ends_at"] + due_after <= at,
            "draft": session["note_id"] is not None,  # a note not signed yet: a draft
        }
        for session in shown
    ]
    awaiting_cosign = shown[0]["awaiting_cosign"] if shown else _notes_awaiting_own_cosign(counselor=counselor).count()
    return {"rows": rows, "total": shown[0]["total"] if shown else 0, "awaiting_cosign": awaiting_cosign}


def notes_awaiting_cosign(*, supervisor):
    return (
        ProgressNote.objects.filter(
            counselor__supervision__supervisor=supervisor,
            state=NoteState.SIGNED,
            cosign_required=True,
            cosigned_at__isnull=True,
        )
        .select_related("session", "counselor__counselor_profile", "client__client_profile")
        .order_by("signed_at")
    )


def note_reminders_send(*, at: datetime | None = None, limit: int = 500) -> int:
    """Remind counselors, once per session, of a note not signed PROGRESS_NOTE_DUE_HOURS after the session ended.

    The NoteReminder row is the claim (one per session, unique): a second run, or two workers at once, send
    nothing more. On the counselor's open pages (and their notice list) and by e-mail, in their language; neither
    names the client nor holds any of the note."""
    at = at or now()
    cutoff = at - timedelta(hours=settings.PROGRESS_NOTE_DUE_HOURS)
    due = (
        CounselingSession.objects.filter(state__in=HELD_STATES, ends_at__lte=cutoff, note_reminder__isnull=True)
        .filter(Q(progress_note__isnull=True) | Q(progress_note__state=NoteState.DRAFT))
        .select_related("counselor__counselor_profile")
        .order_by("ends_at")[:limit]
    )
    sent = 0
    for session in due:
        try:
            with transaction.atomic():
                NoteReminder.objects.create(session=session, counselor_id=session.counselor_id, sent_at=at)
                _note_reminder_deliver(session=session)
                audit_record(
                    actor=None,
                    action="progress_note.reminder_sent",
                    target=session,
                    subject=session.client_id,
                    detail={"counselor": session.counselor_id},
                )
        except IntegrityError:
            continue
        sent += 1
    return sent


def _note_reminder_deliver(*, session: CounselingSession) -> None:
    counselor = session.counselor
    path = reverse("clinical:session_note", args=[session.pk])
    when = session.starts_at.strftime("%Y-%m-%d %H:%M")
    with translation.override(language_of(counselor)):
        notice = {
            "type": "progress_note.overdue",
            "id": session.pk,
            "title": _("A progress note is overdue"),
            "body": _("The note of your session on %(when)s (UTC) is not signed yet.") % {"when": when},
            "url": path,
            "link": _("Write the note"),
        }
    notify_user_on_commit(user_id=counselor.pk, payload=notice)
    email_person(
        recipient=counselor,
        subject=lambda: _("A progress note is overdue"),
        body=lambda link, when=when: (
            _(
                "The progress note of your session on %(when)s (UTC) is not signed yet, %(hours)d hours after it "
                "ended. Please write and sign it:"
            )
            % {"when": when, "hours": settings.PROGRESS_NOTE_DUE_HOURS}
            + f"\n{link}\n"
        ),
        link_path=path,
    )


# --- The client's export and retention (records.registry, clinical.receivers) ------------------------


def client_progress_notes(client_id: int):
    return ProgressNote.objects.filter(client_id=client_id)
