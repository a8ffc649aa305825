import csv
import io
import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from consent.forms import ClientLookupForm, ConsentAcceptForm, ConsentDraftForm, NewDraftForm
from consent.models import ELEMENT_KEYS, ELEMENT_TITLES, ConsentVersion
from consent.rendering import consent_render
from consent.selectors import (
    access_acceptance,
    access_consent_version,
    consent_acceptance_current,
    consent_gate,
    consent_status_for_client,
    consent_version_for_reader,
    consent_versions_in_force,
    consent_versions_overview,
    counselor_for_consent,
)
from consent.services import (
    consent_accept,
    consent_acceptances_list,
    consent_draft_create,
    consent_draft_update,
    consent_history_export,
    consent_version_diff,
    consent_version_missing_sections,
    consent_version_publish,
    consent_withdraw,
)
from counseling.crypto import backup_shred_days
from counseling.models import Role, User
from counseling.permissions import admin_required, client_required
from counseling.redirects import safe_next_url


def transparency(request):
    """Public: what is stored, how, for how long, and that online confidentiality has limits."""
    # The same number the consent in force states (consent.checks): settings, not prose.
    return render(request, "consent/transparency.html", {"backup_days": backup_shred_days()})


def _safe_next(request, candidate: str) -> str:
    return safe_next_url(request, candidate)


@client_required
@require_http_methods(["GET", "POST"])
def onboarding(request):
    """Read the consent in your language, acknowledge each section, accept (ACA H.2.a)."""
    source = request.POST if request.method == "POST" else request.GET
    stale = False
    counselor = None
    if source.get("counselor"):
        counselor = counselor_for_consent(counselor_id=source.get("counselor"))
        if counselor is None:
            raise Http404
    next_url = _safe_next(request, source.get("next", ""))
    form = ConsentAcceptForm(request.POST or None)
    version = consent_version_for_reader(language=translation.get_language() or "id")
    if request.method == "POST" and form.is_valid():
        version = ConsentVersion.objects.filter(pk=form.cleaned_data["version"]).first() or version
        try:
            consent_accept(
                client=request.user,
                version=version,
                counselor=counselor,
                shown_sha256=form.cleaned_data["text_sha256"],
                acknowledged=form.cleaned_data["acknowledged"],
                request=request,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
            version = consent_version_for_reader(language=translation.get_language() or "id")
            stale = True
        else:
            messages.success(request, _("Thank you. Your consent is recorded."))
            return redirect(next_url or "consent:mine")
    if version is None:
        return render(request, "consent/unavailable.html", status=503)
    rendered = consent_render(version=version, counselor=counselor)
    already = consent_acceptance_current(client=request.user, counselor=counselor)
    # After a refusal because the text changed, every section must be read (and ticked) again.
    acknowledged = set(request.POST.getlist("acknowledged")) if request.method == "POST" and not stale else set()
    return render(
        request,
        "consent/onboarding.html",
        {
            "form": form,
            "version": version,
            "rendered": rendered,
            "counselor": counselor,
            "next_url": next_url,
            "already": already if already and already.version_id == version.pk else None,
            "acknowledged": acknowledged,
            "section_count": len(ELEMENT_KEYS),
        },
    )


@client_required
def mine(request):
    """The client's own consent: what they accepted, when, and the way to withdraw."""
    return render(request, "consent/mine.html", {"status": consent_status_for_client(client=request.user)})


@client_required
def acceptance_detail(request, acceptance_id: int):
    acceptance = access_acceptance(user=request.user, acceptance_id=acceptance_id)
    return render(request, "consent/acceptance_detail.html", {"acceptance": acceptance})


@client_required
@require_http_methods(["GET", "POST"])
def withdraw(request):
    gate = consent_gate(client=request.user)
    if request.method == "POST":
        cancelled = consent_withdraw(client=request.user, request=request)
        messages.success(
            request,
            _(
                "Your consent is withdrawn. %(count)s future session(s) were cancelled and "
                "your counselor was told. Your records are kept for the retention period, "
                "then destroyed."
            )
            % {"count": cancelled},
        )
        return redirect("consent:mine")
    return render(request, "consent/withdraw.html", {"gate": gate})


# --- Admin pages -------------------------------------------------------------------------------


@admin_required
def manage_index(request):
    in_force = {version.pk for version in consent_versions_in_force().values()}
    return render(
        request,
        "consent/manage_index.html",
        {
            "versions": consent_versions_overview(),
            "in_force": in_force,
            "new_form": NewDraftForm(),
            "lookup_form": ClientLookupForm(),
        },
    )


@admin_required
@require_POST
def draft_create(request):
    form = NewDraftForm(request.POST)
    if not form.is_valid():
        raise Http404
    version = consent_draft_create(language=form.cleaned_data["language"], created_by=request.user, request=request)
    return redirect("consent:version_edit", version_id=version.pk)


@admin_required
@require_http_methods(["GET", "POST"])
def version_edit(request, version_id: int):
    """A draft can be edited and published; a published version is shown read-only, with its diff."""
    version = access_consent_version(user=request.user, version_id=version_id)
    form = None
    if not version.is_published:
        form = ConsentDraftForm(
            request.POST or None,
            version=version,
            initial={"effective_at": version.effective_at, "change_summary": version.change_summary},
        )
        if request.method == "POST" and form.is_valid():
            consent_draft_update(
                version=version,
                sections=form.sections(),
                effective_at=form.cleaned_data["effective_at"],
                change_summary=form.cleaned_data["change_summary"],
                actor=request.user,
                request=request,
            )
            if "publish" in request.POST:
                try:
                    consent_version_publish(version=version, actor=request.user, request=request)
                except ValidationError as exc:
                    for message in exc.messages:
                        messages.error(request, message)
                else:
                    messages.success(
                        request,
                        _("Version %(number)s (%(language)s) is published.")
                        % {"number": version.number, "language": version.language},
                    )
            else:
                messages.success(request, _("Draft saved."))
            return redirect("consent:version_edit", version_id=version.pk)
    elif request.method == "POST":
        messages.error(request, _("A published consent version cannot be changed; create a new version."))
        return redirect("consent:version_edit", version_id=version.pk)
    previous, diffs = consent_version_diff(version=version)
    return render(
        request,
        "consent/version_edit.html",
        {
            "version": version,
            "form": form,
            "previous": previous,
            "diffs": diffs,
            "missing": [ELEMENT_TITLES[key] for key in consent_version_missing_sections(version=version)],
            "sections": version.sections.all().order_by("position"),
        },
    )


@admin_required
def version_acceptances(request, version_id: int):
    version = access_consent_version(user=request.user, version_id=version_id)
    acceptances = consent_acceptances_list(version=version, actor=request.user, request=request)
    return render(request, "consent/version_acceptances.html", {"version": version, "acceptances": acceptances})


EXPORT_COLUMNS = [
    "acceptance_id",
    "version_id",
    "version_number",
    "language",
    "counselor_id",
    "text_sha256",
    "acknowledged_sections",
    "accepted_at",
    "ip_address",
    "user_agent",
    "withdrawn_at",
    "rendered_text",
]


def _csv_safe(value):
    """A spreadsheet must not run a formula a client typed (their user agent is theirs to set)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@admin_required
def client_export(request):
    """Download one client's consent history (JSON or CSV); the export is audit-logged."""
    form = ClientLookupForm(request.GET or None)
    if not form.is_valid():
        messages.error(request, _("Enter the e-mail address of a client."))
        return redirect("consent:manage")
    client = User.objects.filter(email__iexact=form.cleaned_data["email"], role=Role.CLIENT).first()
    if client is None:
        messages.error(request, _("No client has that e-mail address."))
        return redirect("consent:manage")
    rows = consent_history_export(client=client, actor=request.user, request=request)
    if form.cleaned_data["format"] == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS)
        writer.writeheader()
        for row in rows:
            row = {**row, "acknowledged_sections": " ".join(row["acknowledged_sections"])}
            writer.writerow({key: _csv_safe(value) for key, value in row.items()})
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        extension = "csv"
    else:
        payload = {"client_id": client.pk, "acceptances": rows}
        response = HttpResponse(
            json.dumps(payload, indent=2, ensure_ascii=False), content_type="application/json; charset=utf-8"
        )
        extension = "json"
    response["Content-Disposition"] = f'attachment; filename="consent-history-client-{client.pk}.{extension}"'
    response["Cache-Control"] = "no-store"
    return response
