"""Pages of intake and identity. Thin: a form parses, an access_* or decorator checks, one service writes."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from counseling import intake as services
from counseling.crypto import DecryptionError
from counseling.documents import DocumentRefused
from counseling.identity_selectors import (
    access_identity_document,
    code_word_result_for,
    emergency_numbers_by_country,
    emergency_numbers_for,
    has_code_word,
    identity_documents_of,
    identity_status_for,
    intake_for,
    review_queue,
    session_location_change,
    sessions_to_locate,
)
from counseling.intake_forms import CodeWordAnswerForm, IdentityDocumentForm, IntakeForm, LocationForm, ReviewForm
from counseling.permissions import admin_required, client_required, counselor_required
from counseling.redirects import safe_next_url
from counseling.selectors import identity_gate

REFUSAL_MESSAGES = {
    "empty": _("The file is empty."),
    "too_large": _("The file is too large."),
    "unsupported_type": _("Only photos (JPEG or PNG) and PDF files are accepted."),
    "type_mismatch": _("The file's content does not match its name (for example a PDF named .jpg). "
                       "Please upload the original file."),
    "too_many_pixels": _("The image is too large (too many pixels). Please send a smaller photo."),
    "damaged": _("The file seems damaged. Please take a new photo or scan."),
}


def _consent_first(request):
    """Intake comes after consent (ACA H.2.a): send the client there first."""
    from consent.selectors import consent_gate

    result = consent_gate(client=request.user)
    if not result:
        messages.info(request, result.message)
        return redirect(result.action_url or "client_home")
    return None


@client_required
def home(request):
    """The client's identity and intake overview: what is done, what is left."""
    client = request.user
    intake = intake_for(client=client)
    country = region = ""
    if intake is not None:
        try:
            answers = services.intake_answers(intake)
            country, region = answers.get("country", ""), answers.get("region", "")
        except DecryptionError:
            messages.error(request, _("Your intake could not be read. Please fill it in again."))
    return render(request, "counseling/intake_home.html", {
        "intake": intake,
        "has_code_word": has_code_word(client=client),
        "identity_status": identity_status_for(client=client),
        "documents": identity_documents_of(client=client)[:5],
        "gate": identity_gate(client=client),
        "emergency_numbers": emergency_numbers_for(country=country or "ID", region=region),
        "emergency_country": country or "ID",
        "sessions_to_locate": sessions_to_locate(client=client),
        "confirmation_hours": settings.LOCATION_CONFIRMATION_HOURS,
    })


@client_required
@require_http_methods(["GET", "POST"])
def intake_form(request):
    blocked = _consent_first(request)
    if blocked:
        return blocked
    client = request.user
    intake = intake_for(client=client)
    initial = {}
    if intake is not None:
        try:
            initial = IntakeForm.initial_from(services.intake_answers(intake))
        except DecryptionError:
            initial = {}
    code_word_required = not has_code_word(client=client)
    form = IntakeForm(request.POST or None, initial=initial, code_word_required=code_word_required)
    if request.method == "POST" and form.is_valid():
        try:
            services.intake_submit(
                client=client, answers=form.answers(),
                emergency_contact_authorised=form.cleaned_data["emergency_contact_authorised"],
                guardian_consent=form.cleaned_data.get("guardian_consent", False),
                code_word=form.cleaned_data.get("code_word", ""), request=request)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your intake is saved."))
            return redirect("intake:home")
    country = form["country"].value() or "ID"
    return render(request, "counseling/intake_form.html", {
        "form": form, "editing": intake is not None,
        "emergency_numbers": emergency_numbers_for(country=country, region=form["region"].value() or ""),
        "emergency_country": country,
        "emergency_places": emergency_numbers_by_country(),
        "minor_policy": settings.MINOR_POLICY,
        "age_of_majority": settings.AGE_OF_MAJORITY_DEFAULT,
    })


@client_required
@require_http_methods(["GET", "POST"])
def identity_upload(request):
    form = IdentityDocumentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["document"]
        if upload.size > settings.IDENTITY_DOCUMENT_MAX_BYTES:
            form.add_error("document", REFUSAL_MESSAGES["too_large"])
        else:
            try:
                services.identity_document_upload(client=request.user, name=upload.name, data=upload.read(),
                                                  request=request)
            except DocumentRefused as refused:
                form.add_error("document", REFUSAL_MESSAGES.get(refused.code, REFUSAL_MESSAGES["damaged"]))
            else:
                messages.success(request, _("Thank you. Your document is waiting for review."))
                return redirect("intake:home")
    return render(request, "counseling/identity_upload.html", {"form": form})


@client_required
@require_http_methods(["GET", "POST"])
def session_location(request, session_id: int):
    """Where the client is now, confirmed before this session (ACA H.1.b)."""
    from sessions.selectors import access_session, location_confirmation_current

    session = access_session(user=request.user, session_id=session_id)
    if session.client_id != request.user.pk:
        raise Http404
    initial = {"country": session.location_country, "region": session.location_region}
    if not session.location_country:
        intake = intake_for(client=request.user)
        if intake is not None:
            try:
                answers = services.intake_answers(intake)
                initial = {"country": answers.get("country", ""), "region": answers.get("region", "")}
            except DecryptionError:
                pass
    form = LocationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.session_location_confirm(session=session, client=request.user,
                                              country=form.cleaned_data["country"],
                                              region=form.cleaned_data["region"], request=request)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if location_confirmation_current(session=session):
                messages.success(request, _("Thank you. Your location for this session is confirmed."))
            else:
                messages.success(request, ngettext(
                    "Thank you. This session starts more than %(hours)d hour from now, so we will ask you again "
                    "in the hour before it.",
                    "Thank you. This session starts more than %(hours)d hours from now, so we will ask you again "
                    "in the %(hours)d hours before it.", settings.LOCATION_CONFIRMATION_HOURS)
                    % {"hours": settings.LOCATION_CONFIRMATION_HOURS})
            return redirect(safe_next_url(request, request.POST.get("next"), fallback=reverse("intake:home")))
    country = form["country"].value() or "ID"
    return render(request, "counseling/identity_location.html", {
        "form": form, "session": session, "location_current": location_confirmation_current(session=session),
        "confirmation_hours": settings.LOCATION_CONFIRMATION_HOURS,
        "emergency_numbers": emergency_numbers_for(country=country, region=form["region"].value() or ""),
        "emergency_country": country,
        "emergency_places": emergency_numbers_by_country(),
    })


@client_required
@require_http_methods(["GET", "POST"])
def code_word_answer(request, session_id: int):
    """The client types the code word privately; the counselor sees only whether it matched."""
    from sessions.selectors import access_session

    session = access_session(user=request.user, session_id=session_id)
    if session.client_id != request.user.pk:
        raise Http404
    form = CodeWordAnswerForm(request.POST or None)
    outcome = None
    if request.method == "POST" and form.is_valid():
        try:
            matched = services.code_word_check(session=session, attempt=form.cleaned_data["attempt"],
                                               request=request)
        except services.CodeWordLocked:
            outcome = "locked"
        else:
            outcome = "matched" if matched else "not_matched"
        form = CodeWordAnswerForm()
    return render(request, "counseling/identity_code_word.html",
                  {"form": form, "session": session, "outcome": outcome})


@counselor_required
def code_word_result(request, session_id: int):
    """For the session's counselor: matches, does not match, or not answered yet. Never the word."""
    from sessions.selectors import access_session

    session = access_session(user=request.user, session_id=session_id)
    result = code_word_result_for(session=session, viewer=request.user)
    location_change = session_location_change(session=session)  # opens the client's intake
    from counseling.audit import audit_record

    audit_record(actor=request.user, action="code_word.result_viewed", target=session, subject=session.client_id,
                 request=request)
    return render(request, "counseling/identity_code_word_result.html", {
        "session": session, "result": result, "location_change": location_change,
    })


@admin_required
def review_list(request):
    return render(request, "counseling/identity_review_list.html", {"documents": review_queue()})


@admin_required
@require_http_methods(["GET", "POST"])
def review_detail(request, identity_document_id: int):
    document = access_identity_document(user=request.user, identity_document_id=identity_document_id)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.identity_document_review(document=document, reviewer=request.user,
                                              verified=form.cleaned_data["decision"] == "verify",
                                              reason=form.cleaned_data["reason"], request=request)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Review saved."))
            return redirect("intake:review_list")
    intake_view = None
    intake = intake_for(client=document.client)
    if intake is not None and document.destroyed_at is None:
        # The reviewer compares the document with the legal name and date of birth: a read of
        # client data, so it is in the audit log.
        from counseling.audit import audit_record

        try:
            answers = services.intake_answers(intake)
            intake_view = {"legal_name": answers.get("legal_name", ""),
                           "date_of_birth": answers.get("date_of_birth", "")}
            audit_record(actor=request.user, action="intake.viewed_for_review", target=intake,
                         subject=document.client_id, request=request)
        except DecryptionError:
            intake_view = None
    return render(request, "counseling/identity_review_detail.html",
                  {"document": document, "form": form, "intake_view": intake_view})


@admin_required
def review_document(request, identity_document_id: int):
    """The document itself, for the reviewing admin only; never a public URL, never cached."""
    document = access_identity_document(user=request.user, identity_document_id=identity_document_id)
    if document.destroyed_at is not None or not document.content_sealed:
        raise Http404
    try:
        content = services.identity_document_content(document=document, viewer=request.user, request=request)
    except DecryptionError:
        return HttpResponse(_("This document can no longer be opened."), status=410, content_type="text/plain")
    response = HttpResponse(content, content_type=document.content_type)
    extension = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}[document.content_type]
    response["Content-Disposition"] = f'inline; filename="identity-document-{document.pk}.{extension}"'
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response


def review_document_url(document) -> str:
    return reverse("intake:review_document", args=[document.pk])
