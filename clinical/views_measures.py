"""Outcome measures: the counselor's page for one client (schedule, chart, scores) and the client's form."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from clinical.chart import outcome_chart
from clinical.forms_measures import MeasureResponseForm, MeasureScheduleForm
from clinical.instruments import GAD7, INSTRUMENTS, PHQ9
from clinical.models import MeasureSchedule
from clinical.selectors_measures import (
    access_client_response,
    access_client_schedule,
    measure_due,
    measure_scores,
    phq9_item9_answer,
)
from clinical.services_measures import measure_schedule_set, measure_submit
from counseling.audit import audit_record
from counseling.permissions import client_required, counselor_required
from identity.numbers import emergency_numbers
from sessions.selectors import access_caseload_client, client_location


@counselor_required
@require_http_methods(["GET", "POST"])
def client_measures(request, client_id: int):
    """The client's PHQ-9 and GAD-7 over time, and how often they are asked (the client's own counselor only)."""
    client = access_caseload_client(user=request.user, client_id=client_id)
    form = MeasureScheduleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        measure_schedule_set(counselor=request.user, client=client, request=request, **form.cleaned_data)
        messages.success(request, _("Schedule saved. The client sees the measure on their page when it is due."))
        return redirect("clinical:client_measures", client_id=client.pk)
    schedules = MeasureSchedule.objects.filter(client=client, counselor=request.user)
    measures = []
    for instrument in (PHQ9, GAD7):
        points = measure_scores(client=client, counselor=request.user, instrument=instrument)
        measures.append(
            {
                "name": INSTRUMENTS[instrument].name,
                "chart": outcome_chart(instrument=instrument, points=points),
                "points": points,
            }
        )
    audit_record(actor=request.user, action="measure.viewed", target=client, subject=client, request=request)
    return render(
        request,
        "clinical/measures/client_measures.html",
        {"client": client, "form": form, "schedules": schedules, "measures": measures},
    )


@client_required
@require_http_methods(["GET", "POST"])
def measure_fill(request, schedule_id: int):
    """The client answers a measure their counselor asked for, in English or in the Indonesian wording."""
    schedule = access_client_schedule(user=request.user, schedule_id=schedule_id)
    wording = request.POST.get("wording") or request.GET.get("wording") or translation.get_language() or "en"
    form = MeasureResponseForm(request.POST or None, instrument=schedule.instrument, wording=wording)
    if request.method == "POST" and form.is_valid():
        response, _score = measure_submit(
            client=request.user,
            schedule=schedule,
            answers=form.answers(),
            language=form.wording_code,
            request=request,
        )
        return redirect("clinical:measure_done", response_id=response.pk)
    spec = INSTRUMENTS[schedule.instrument]
    return render(
        request,
        "clinical/measures/measure_fill.html",
        {
            "schedule": schedule,
            "spec": spec,
            "form": form,
            "stem": spec.stem[form.wording_code],
            "other_wording": "en" if form.wording_code == "id" else "id",
            "due": measure_due(schedule=schedule),
        },
    )


@client_required
def measure_done(request, response_id: int):
    """Thanks; after a PHQ-9 item 9 above "not at all", the emergency numbers and that a person was alerted."""
    response = access_client_response(user=request.user, response_id=response_id)
    safety = response.instrument == PHQ9 and bool(phq9_item9_answer(response_id=response.pk))
    numbers = []
    if safety:
        place = client_location(client=request.user)
        numbers = emergency_numbers(country=place.country if place else "", region=place.region if place else "")
    return render(
        request,
        "clinical/measures/measure_done.html",
        {"response": response, "safety": safety, "numbers": numbers, "name": INSTRUMENTS[response.instrument].name},
    )
