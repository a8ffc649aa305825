"""Pages of emergency escalation: the client's help button and numbers, the staff risk queue."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from counseling.audit import audit_record
from counseling.permissions import client_required, staff_required
from crisis.selectors import access_escalation, client_latest_escalation, escalation_timeline, risk_queue, roster_gaps
from crisis.services import escalation_acknowledge, escalation_resolve, help_request
from identity.numbers import emergency_numbers
from sessions.selectors import client_location


class NoteForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Note (required)"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


@client_required
@require_POST
def help_request_view(request):
    """The "I need help now" button, on every client page."""
    help_request(client=request.user, request=request)
    return redirect("escalation:help_sent")


@client_required
def help_sent(request):
    escalation = client_latest_escalation(client=request.user)
    place = client_location(client=request.user, session=escalation.session if escalation else None)
    country, region = (place.country, place.region) if place else ("", "")
    return render(
        request,
        "crisis/escalation_help_sent.html",
        {
            "escalation": escalation,
            "numbers": emergency_numbers(country=country, region=region),
            "country": country,
        },
    )


@staff_required
def risk_queue_view(request):
    return render(
        request,
        "crisis/risk_queue.html",
        {
            "escalations": risk_queue(user=request.user),
            "gaps": roster_gaps(),
        },
    )


@staff_required
def escalation_detail(request, escalation_id: int):
    escalation = access_escalation(user=request.user, escalation_id=escalation_id)
    place = client_location(client=escalation.client, session=escalation.session)
    country, region = (place.country, place.region) if place else ("", "")
    audit_record(
        actor=request.user, action="escalation.viewed", target=escalation, subject=escalation.client_id, request=request
    )
    return render(
        request,
        "crisis/escalation_detail.html",
        {
            "escalation": escalation,
            "timeline": escalation_timeline(escalation),
            "numbers": emergency_numbers(country=country, region=region),
            "country": country,
            "region": region,
            "location_confirmed": bool(place and place.confirmed),
            "form": NoteForm(),
        },
    )


def _act(request, escalation_id: int, action, done_message: str):
    escalation = access_escalation(user=request.user, escalation_id=escalation_id)
    form = NoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write a note: what you saw and what you did."))
        return redirect("escalation:detail", escalation.pk)
    if action(escalation=escalation, user=request.user, note=form.cleaned_data["note"], request=request):
        messages.success(request, done_message)
    else:
        messages.warning(request, _("Someone else already did this."))
    return redirect("escalation:detail", escalation.pk)


@staff_required
@require_POST
def escalation_acknowledge_view(request, escalation_id: int):
    return _act(request, escalation_id, escalation_acknowledge, _("Acknowledged. The ladder has stopped."))


@staff_required
@require_POST
def escalation_resolve_view(request, escalation_id: int):
    return _act(request, escalation_id, escalation_resolve, _("Resolved."))
