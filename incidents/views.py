"""Admin pages of breach response: open an incident, find and confirm the affected clients, edit and send the
notices, record the authority's notice. Admins only (counseling.permissions); an incident is found through
`access_incident`, which answers 404 to anyone else."""

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from counseling.audit import audit_record
from counseling.clock import now
from counseling.permissions import admin_required
from incidents.forms import (
    AffectedConfirmForm,
    AffectedSearchForm,
    AuthorityNoticeForm,
    ClientNoticeForm,
    IncidentOpenForm,
)
from incidents.models import Law
from incidents.selectors import (
    access_incident,
    affected_candidates,
    authority_name,
    authority_notice_draft,
    client_notice_for,
    incident_clocks,
    incidents_overview,
    running_clocks,
)
from incidents.services import (
    IncidentError,
    incident_affected_confirm,
    incident_authority_notice_record,
    incident_client_notice_save,
    incident_client_notices_send,
    incident_open,
)


@admin_required
def incident_list(request):
    return render(
        request, "incidents/incident_list.html", {"incidents": incidents_overview(), "clocks": running_clocks()}
    )


@admin_required
def incident_open_view(request):
    form = IncidentOpenForm(request.POST or None, initial={"detected_at": now()})
    if request.method == "POST" and form.is_valid():
        try:
            incident = incident_open(opened_by=request.user, request=request, **form.cleaned_data)
        except IncidentError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Incident opened. Next: find the affected clients."))
            return redirect("incidents:affected", incident.pk)
    return render(request, "incidents/incident_open.html", {"form": form})


@admin_required
def incident_detail(request, incident_id: int):
    incident = access_incident(user=request.user, incident_id=incident_id)
    audit_record(actor=request.user, action="incident.viewed", target=incident, request=request)
    affected = list(incident.affected.select_related("client__client_profile"))
    return render(
        request,
        "incidents/incident_detail.html",
        {
            "incident": incident,
            "clocks": incident_clocks(incident=incident),
            "affected": affected,
            "sent": sum(1 for row in affected if row.notice_sent_at),
            "authority_notices": incident.authority_notices.all(),
            "laws": Law.choices,
        },
    )


@admin_required
def incident_affected(request, incident_id: int):
    """GET with a window: the count and pseudonyms the audit log gives; POST: the admin confirms that set."""
    incident = access_incident(user=request.user, incident_id=incident_id)
    if request.method == "POST":
        form = AffectedConfirmForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                added = incident_affected_confirm(
                    incident=incident,
                    window_start=data["window_start"],
                    window_end=data["window_end"],
                    actions=data["actions"],
                    target_types=data["target_types"],
                    shown_client_ids=data["client_ids"],
                    confirmed_by=request.user,
                    request=request,
                )
            except IncidentError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Affected clients confirmed: %(count)s added.") % {"count": len(added)})
                return redirect("incidents:detail", incident.pk)
        return render(request, "incidents/incident_affected.html", {"incident": incident, "form": form})
    form = AffectedSearchForm(request.GET or None)
    found, gone = None, 0
    if request.GET and form.is_valid():
        data = form.cleaned_data
        found, gone = affected_candidates(
            window_start=data["window_start"],
            window_end=data["window_end"],
            actions=data["actions"],
            target_types=data["target_types"],
        )
        audit_record(
            actor=request.user,
            action="incident.affected_searched",
            target=incident,
            request=request,
            detail={"found": len(found), "without_account": gone},
        )
    confirm = None
    if found is not None:
        confirm = AffectedConfirmForm(
            initial={**request.GET.dict(), "client_ids": ",".join(str(client.pk) for client in found)}
        )
    return render(
        request,
        "incidents/incident_affected.html",
        {"incident": incident, "form": form, "found": found, "gone": gone, "confirm": confirm},
    )


@admin_required
def incident_notices(request, incident_id: int):
    """The clients' notice in each language: the draft from the template, edited and saved by the admin."""
    incident = access_incident(user=request.user, incident_id=incident_id)
    forms = {}
    for code, name in settings.LANGUAGES:
        subject, body = client_notice_for(incident=incident, language=code)
        bound = request.method == "POST" and request.POST.get("language") == code
        form = ClientNoticeForm(
            request.POST if bound else None, prefix=code, initial={"subject": subject, "body": body}
        )
        if bound and form.is_valid():
            try:
                incident_client_notice_save(
                    incident=incident, language=code, edited_by=request.user, request=request, **form.cleaned_data
                )
            except IncidentError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Notice saved (%(language)s).") % {"language": name})
                return redirect("incidents:notices", incident.pk)
        forms[code] = (name, form, incident.client_notices.filter(language=code).first())
    return render(request, "incidents/incident_notices.html", {"incident": incident, "forms": forms})


@admin_required
@require_POST
def incident_notices_send(request, incident_id: int):
    incident = access_incident(user=request.user, incident_id=incident_id)
    try:
        sent, failed = incident_client_notices_send(incident=incident, sent_by=request.user, request=request)
    except IncidentError as error:
        messages.error(request, str(error))
        return redirect("incidents:notices", incident.pk)
    messages.success(request, _("Notices sent: %(sent)s. Failed: %(failed)s.") % {"sent": sent, "failed": failed})
    return redirect("incidents:detail", incident.pk)


@admin_required
def incident_authority(request, incident_id: int, law: str):
    """The notice to the authority: drafted, edited, sent outside the platform, then recorded here."""
    incident = access_incident(user=request.user, incident_id=incident_id)
    if law not in Law.values:
        raise Http404
    recorded = incident.authority_notices.filter(law=law).first()
    form = AuthorityNoticeForm(
        request.POST or None,
        initial={
            "authority": authority_name(law=law),
            "body": authority_notice_draft(incident=incident, law=law),
            "sent_at": now(),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            incident_authority_notice_record(
                incident=incident, law=law, recorded_by=request.user, request=request, **form.cleaned_data
            )
        except IncidentError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The notice to the authority is recorded."))
            return redirect("incidents:detail", incident.pk)
    return render(
        request,
        "incidents/incident_authority.html",
        {"incident": incident, "law": Law(law), "form": form, "recorded": recorded},
    )
