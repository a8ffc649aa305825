"""Pages of intake and identity. Thin: a form parses, an access_* or decorator checks, one service writes."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from consent.selectors import consent_gate
from counseling.audit import audit_record
from counseling.crypto import DecryptionError
from counseling.documents import PDF_REFUSAL_MESSAGES, DocumentRefused, document_response
from counseling.permissions import admin_required, client_required
from identity import services
from identity.forms import IdentityDocumentForm, IntakeForm, ReviewForm
from identity.numbers import emergency_numbers_by_country, emergency_numbers_for
from identity.selectors import (
    access_identity_document,
    has_code_word,
    identity_documents_of,
    identity_gate,
    identity_status_for,
    intake_answers,
    intake_for,
    review_queue,
)

# Lazy: the module is imported once, in whatever language the first request that loads the URLs speaks.
REFUSAL_MESSAGES = {
    "empty": gettext_lazy("The file is empty."),
    "too_large": gettext_lazy("The file is too large."),
    "unsupported_type": gettext_lazy("Only photos (JPEG or PNG) and PDF files are accepted."),
    "type_mismatch": gettext_lazy(
        "The file's content does not match its name (for example a PDF named .jpg). Please upload the original file."
    ),
    "too_many_pixels": gettext_lazy("The image is too large (too many pixels). Please send a smaller photo."),
    "damaged": gettext_lazy("The file seems damaged. Please take a new photo or scan."),
    **PDF_REFUSAL_MESSAGES,
}


def _consent_first(request):
    """Intake comes after consent (ACA H.2.a): send the client there first."""
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
            answers = intake_answers(intake)
            country, region = answers.get("country", ""), answers.get("region", "")
        except DecryptionError:
            messages.error(request, _("Your intake could not be read. Please fill it in again."))
    return render(
        request,
        "identity/intake_home.html",
        {
            "intake": intake,
            "has_code_word": has_code_word(client=client),
            "identity_status": identity_status_for(client=client),
            "documents": identity_documents_of(client=client)[:5],
            "gate": identity_gate(client=client),
            "emergency_numbers": emergency_numbers_for(country=country or "ID", region=region),
            "emergency_country": country or "ID",
            "confirmation_hours": settings.LOCATION_CONFIRMATION_HOURS,
        },
    )


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
            initial = IntakeForm.initial_from(intake_answers(intake))
        except DecryptionError:
            initial = {}
    code_word_required = not has_code_word(client=client)
    form = IntakeForm(request.POST or None, initial=initial, code_word_required=code_word_required)
    if request.method == "POST" and form.is_valid():
        try:
            services.intake_submit(
                client=client,
                answers=form.answers(),
                emergency_contact_authorised=form.cleaned_data["emergency_contact_authorised"],
                guardian_consent=form.cleaned_data.get("guardian_consent", False),
                code_word=form.cleaned_data.get("code_word", ""),
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your intake is saved."))
            return redirect("intake:home")
    country = form["country"].value() or "ID"
    return render(
        request,
        "identity/intake_form.html",
        {
            "form": form,
            "editing": intake is not None,
            "emergency_numbers": emergency_numbers_for(country=country, region=form["region"].value() or ""),
            "emergency_country": country,
            "emergency_places": emergency_numbers_by_country(),
            "minor_policy": settings.MINOR_POLICY,
            "age_of_majority": settings.AGE_OF_MAJORITY_DEFAULT,
        },
    )


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
                services.identity_document_upload(
                    client=request.user, name=upload.name, data=upload.read(), request=request
                )
            except DocumentRefused as refused:
                form.add_error("document", REFUSAL_MESSAGES.get(refused.code, REFUSAL_MESSAGES["damaged"]))
            else:
                messages.success(request, _("Thank you. Your document is waiting for review."))
                return redirect("intake:home")
    return render(request, "identity/identity_upload.html", {"form": form})


@admin_required
def review_list(request):
    return render(request, "identity/identity_review_list.html", {"documents": review_queue()})


@admin_required
@require_http_methods(["GET", "POST"])
def review_detail(request, identity_document_id: int):
    document = access_identity_document(user=request.user, identity_document_id=identity_document_id)
    form = ReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.identity_document_review(
                document=document,
                reviewer=request.user,
                verified=form.cleaned_data["decision"] == "verify",
                reason=form.cleaned_data["reason"],
                request=request,
            )
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
        try:
            answers = intake_answers(intake)
            intake_view = {
                "legal_name": answers.get("legal_name", ""),
                "date_of_birth": answers.get("date_of_birth", ""),
            }
            audit_record(
                actor=request.user,
                action="intake.viewed_for_review",
                target=intake,
                subject=document.client_id,
                request=request,
            )
        except DecryptionError:
            intake_view = None
    return render(
        request,
        "identity/identity_review_detail.html",
        {"document": document, "form": form, "intake_view": intake_view},
    )


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
    extension = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}[document.content_type]
    return document_response(
        data=content, content_type=document.content_type, filename=f"identity-document-{document.pk}.{extension}"
    )


def review_document_url(document) -> str:
    return reverse("intake:review_document", args=[document.pk])
