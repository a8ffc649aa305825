"""Pages of emergency escalation: the client's help button and numbers, the staff risk queue."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from counseling.audit import audit_record
from counseling.permissions import admin_required, client_required, staff_required
from crisis.selectors import (
    access_drill,
    access_emergency_card,
    access_escalation,
    card_pickup,
    client_latest_escalation,
    drill_counselors,
    drill_report,
    drills_for,
    emergency_card,
    emergency_card_basis,
    escalation_timeline,
    measure_item9_fact,
    risk_queue_rows,
    roster_gaps,
)
from crisis.services import (
    DRILL_MAX_MINUTES_PER_RUNG,
    cover_pickup,
    drill_acknowledge,
    drill_end,
    drill_start,
    emergency_card_opened_record,
    escalation_acknowledge,
    escalation_resolve,
    help_request,
)
from identity.numbers import emergency_numbers
from sessions.selectors import client_location, counselor_zone


class NoteForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Note (required)"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class DrillStartForm(forms.Form):
    counselor = forms.ModelChoiceField(
        label=gettext_lazy("Counselor on the first rung"), queryset=drill_counselors(), empty_label=None
    )
    minutes_per_rung = forms.IntegerField(
        label=gettext_lazy("Minutes per rung"),
        required=False,
        min_value=1,
        max_value=DRILL_MAX_MINUTES_PER_RUNG,
        help_text=gettext_lazy("Empty: the configured minutes of a real high-severity alert."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["counselor"].label_from_instance = lambda user: user.display_name


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
            "rows": risk_queue_rows(user=request.user),
            "gaps": roster_gaps(),
            "drills": drills_for(user=request.user),
            "drill_form": DrillStartForm() if request.user.is_admin else None,
        },
    )


@staff_required
def escalation_detail(request, escalation_id: int):
    escalation = access_escalation(user=request.user, escalation_id=escalation_id)
    if escalation.is_drill:  # no client: the drill's own page
        return redirect("escalation:drill", escalation.pk)
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
            "card_open": bool(emergency_card_basis(user=request.user, escalation=escalation)),
            "measure": measure_item9_fact(escalation),
        },
    )


@staff_required
def escalation_emergency_card(request, escalation_id: int):
    """The emergency card: for whoever holds the escalation's current rung, while it is live (404 otherwise)."""
    access = access_emergency_card(user=request.user, escalation_id=escalation_id)
    card = emergency_card(escalation=access.escalation)
    emergency_card_opened_record(user=request.user, escalation=access.escalation, basis=access.basis, request=request)
    pickup = card_pickup(user=request.user, escalation=access.escalation, basis=access.basis)
    return render(
        request,
        "crisis/emergency_card.html",
        {"escalation": access.escalation, "card": card, "pickup": pickup, "zone": counselor_zone(request.user).key},
    )


@staff_required
@require_POST
def escalation_pickup(request, escalation_id: int):
    """The person holding the rung picks up the client's conversation (bounded, audited), then goes to it."""
    access = access_emergency_card(user=request.user, escalation_id=escalation_id)
    try:
        cover = cover_pickup(user=request.user, escalation=access.escalation, basis=access.basis, request=request)
    except PermissionDenied as refusal:
        messages.error(request, str(refusal))
        return redirect("escalation:emergency_card", access.escalation.pk)
    return redirect("sessions:conversation_chat", conversation_id=cover.conversation_id)


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


# --- Drills ----------------------------------------------------------------------------------------


@admin_required
@require_POST
def drill_start_view(request):
    form = DrillStartForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a counselor for the drill, and 1 to 60 minutes per rung."))
        return redirect("escalation:queue")
    drill, created = drill_start(
        counselor=form.cleaned_data["counselor"],
        started_by=request.user,
        minutes_per_rung=form.cleaned_data["minutes_per_rung"],
        request=request,
    )
    if created:
        messages.success(request, _("Drill started. Its alerts are marked: no client is in danger."))
    else:
        messages.warning(request, _("A drill is already running: this one."))
    return redirect("escalation:drill", drill.pk)


@staff_required
def drill_view(request, drill_id: int):
    drill = access_drill(user=request.user, drill_id=drill_id)
    report = drill_report(drill)
    return render(
        request, "crisis/drill.html", {"drill": drill, "report": report, "awaits_me": report.awaits(request.user)}
    )


@staff_required
@require_POST
def drill_acknowledge_view(request, drill_id: int):
    drill = access_drill(user=request.user, drill_id=drill_id)
    if drill_acknowledge(drill=drill, user=request.user, request=request):
        messages.success(request, _("Acknowledged. The drill recorded how fast."))
    else:
        messages.warning(request, _("Nothing to acknowledge: the drill is over, or it has not alerted you."))
    return redirect("escalation:drill", drill.pk)


@admin_required
@require_POST
def drill_end_view(request, drill_id: int):
    drill = access_drill(user=request.user, drill_id=drill_id)
    if drill_end(drill=drill, user=request.user, request=request):
        messages.success(request, _("Drill ended."))
    else:
        messages.warning(request, _("The drill was already over."))
    return redirect("escalation:drill", drill.pk)
