"""Pages of the progress notes, supervision and the client's access to their record. Thin: parse, check, call one
service, render."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinical import notes, record_access
from clinical.forms_notes import AddendumForm, NoteForm, RecordRequestForm, SupervisionForm
from clinical.models.notes import NOTE_SECTIONS, NoteStructure, Supervision
from counseling.permissions import admin_required, client_required, counselor_required


@counselor_required
def session_note(request, session_id: int):
    """The note of one session: written and signed by its counselor, read (and co-signed) by their supervisor."""
    access = notes.access_session_note(user=request.user, session_id=session_id)
    note = access.note
    if request.method == "POST":
        if not access.may_write:
            raise Http404
        form = NoteForm(request.POST, structure=request.POST.get("structure", ""))
        if form.is_valid():
            try:
                notes.note_save_draft(
                    counselor=request.user,
                    session=access.session,
                    structure=form.structure,
                    sections=form.sections(),
                    request=request,
                )
                if request.POST.get("action") == "sign":
                    notes.note_sign(counselor=request.user, session=access.session, request=request)
                    messages.success(request, _("Note signed. It is locked now; later changes are addenda."))
                else:
                    messages.success(request, _("Draft saved."))
                return redirect("clinical:session_note", session_id=session_id)
            except notes.NoteError as error:
                form.add_error(None, str(error))
    else:
        form = None
    notes.note_viewed_record(user=request.user, access=access, request=request)
    readable = notes.note_readable(note) if note is not None else None
    if form is None and access.may_write and (note is None or not note.is_signed):
        structure = request.GET.get("structure") or (note.structure if note else NoteStructure.SOAP)
        initial = {}
        if readable and not readable["unreadable"] and structure == note.structure:
            initial = {f"section_{section['key']}": section["text"] for section in readable["sections"]}
        form = NoteForm(initial=initial, structure=structure)
    return render(
        request,
        "clinical/notes/session_note.html",
        {
            "access": access,
            "session": access.session,
            "note": note,
            "readable": readable,
            "form": form,
            "structures": [(value, label) for value, label in NoteStructure.choices if value in NOTE_SECTIONS],
            "addendum_form": AddendumForm() if note is not None and note.is_signed else None,
            "writable_state": access.session.state in notes.NOTE_SESSION_STATES,
            "zone": request.user.counselor_profile.time_zone,
        },
    )


@require_POST
@counselor_required
def note_addendum(request, session_id: int):
    access = notes.access_session_note(user=request.user, session_id=session_id)
    form = AddendumForm(request.POST)
    try:
        if not form.is_valid():
            raise notes.NoteError(_("Write the addendum."))
        notes.note_addendum_add(author=request.user, access=access, text=form.cleaned_data["text"], request=request)
        messages.success(request, _("Addendum added."))
    except notes.NoteError as error:
        messages.error(request, str(error))
    return redirect("clinical:session_note", session_id=session_id)


@require_POST
@counselor_required
def note_cosign(request, note_id: int):
    """The supervisor co-signs a signed note of their supervisee (a POST on the note: it exists once written)."""
    access = notes.access_note(user=request.user, note_id=note_id)
    session_id = access.session.pk
    if access.basis != "supervisor":
        raise Http404
    try:
        notes.note_cosign(supervisor=request.user, access=access, request=request)
        messages.success(request, _("Note co-signed."))
    except notes.NoteError as error:
        messages.error(request, str(error))
    return redirect("clinical:session_note", session_id=session_id)


@counselor_required
def supervision(request):
    """A supervisor's page: their supervisees, and the notes waiting for their co-signature."""
    return render(
        request,
        "clinical/notes/supervision.html",
        {
            "supervisees": notes.supervisees_of(request.user),
            "awaiting": notes.notes_awaiting_cosign(supervisor=request.user),
            "own": Supervision.objects.filter(supervisee=request.user).select_related("supervisor").first(),
            "zone": request.user.counselor_profile.time_zone,
        },
    )


@counselor_required
def supervisee_caseload(request, supervisee_id: int):
    supervisee, clients = notes.supervisee_caseload(supervisor=request.user, supervisee_id=supervisee_id)
    notes.supervisee_caseload_viewed_record(supervisor=request.user, supervisee=supervisee, request=request)
    return render(
        request,
        "clinical/notes/supervisee_caseload.html",
        {
            "supervisee": supervisee,
            "clients": clients,
            "sessions": notes.supervisee_sessions(supervisee=supervisee),
            "zone": request.user.counselor_profile.time_zone,
        },
    )


@admin_required
def supervision_manage(request):
    """Admins assign each counselor's supervisor and mark who is in training (audited)."""
    form = SupervisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            notes.supervision_assign(
                supervisee=form.cleaned_data["supervisee"],
                supervisor=form.cleaned_data["supervisor"],
                in_training=form.cleaned_data["in_training"],
                assigned_by=request.user,
                request=request,
            )
            messages.success(request, _("Supervision saved."))
            return redirect("clinical:supervision_manage")
        except notes.NoteError as error:
            form.add_error(None, str(error))
    rows = Supervision.objects.select_related("supervisee__counselor_profile", "supervisor__counselor_profile")
    return render(
        request, "clinical/notes/supervision_manage.html", {"form": form, "rows": rows.order_by("pk"), "zone": "UTC"}
    )


@client_required
def client_record(request):
    """The client's record: ask a counselor for it; read what was released; see what was withheld and how to
    contest."""
    counselors = record_access.record_request_counselors(client=request.user)
    form = RecordRequestForm(request.POST or None, counselors=counselors)
    if request.method == "POST" and form.is_valid():
        try:
            record_access.record_request_create(
                client=request.user, counselor_id=form.cleaned_data["counselor"].pk, request=request
            )
            messages.success(request, _("Your request was sent. Your counselor will answer it."))
            return redirect("clinical:client_record")
        except notes.NoteError as error:
            form.add_error(None, str(error))
    record_access.client_record_viewed_record(client=request.user, request=request)
    return render(
        request,
        "clinical/notes/client_record.html",
        {
            "form": form,
            "has_counselors": counselors.exists(),
            "requests": request.user.record_requests.select_related("counselor__counselor_profile"),
            "released": record_access.client_released_notes(client=request.user),
            "withheld": record_access.client_withheld_notes(client=request.user),
            "zone": request.user.client_profile.time_zone,
        },
    )


@counselor_required
def record_request_answer(request, request_id: int):
    """The counselor answers a client's request: release every signed note, or withhold one with its reason."""
    row = record_access.access_record_request(user=request.user, request_id=request_id)
    note_rows = list(record_access.record_request_notes(row))
    errors = []
    if request.method == "POST":
        withheld = {
            note.pk: request.POST.get(f"reason_{note.pk}", "")
            for note in note_rows
            if request.POST.get(f"withhold_{note.pk}") == "on"
        }
        try:
            record_access.record_request_answer(counselor=request.user, row=row, withheld=withheld, request=request)
            messages.success(request, _("Your answer was recorded and the client was told."))
            return redirect("clinical:record_request_answer", request_id=row.pk)
        except notes.NoteError as error:
            errors.append(str(error))
    record_access.record_request_viewed_record(counselor=request.user, row=row, request=request)
    releases = {release.note_id: release for release in row.releases.all()}
    return render(
        request,
        "clinical/notes/record_request_answer.html",
        {
            "row": row,
            "notes": [{**notes.note_readable(note), "release": releases.get(note.pk)} for note in note_rows],
            "errors": errors,
            "min_reason": record_access.WITHHOLD_REASON_MIN_CHARS,
            "zone": request.user.counselor_profile.time_zone,
        },
    )
