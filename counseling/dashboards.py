"""What the two dashboards show: the client's own page and the counselor's caseload.

Reads only; the views in counseling/views.py stay one line each.
"""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode

from counseling.clock import now
from counseling.crypto import DecryptionError
from counseling.escalation import emergency_numbers
from counseling.selectors import caseload, caseload_gate_statuses, caseload_last_contact


def _first_url(*names: str, args=None) -> str:
    """The URL of the first route that exists (other parts of the site land independently)."""
    for name in names:
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            continue
    return ""


def client_dashboard_context(*, request) -> dict:
    from sessions.selectors import client_place, client_referrals, client_sessions, referral_text, session_times

    client = request.user
    at = now()
    upcoming, past = client_sessions(client=client, at=at)
    counselors = []
    for session in [*upcoming, *past]:
        if session.counselor not in counselors:
            counselors.append(session.counselor)
    referrals = []
    for referral in client_referrals(client=client):
        try:
            reason, destination = referral_text(referral=referral)
        except DecryptionError:
            reason, destination = None, None
        referrals.append({"referral": referral, "reason": reason, "destination": destination})
    place = client_place(client=client)
    # "Message your counselor": the chat's page for the pair, reached through their latest session.
    latest = {}
    for session in [*upcoming, *past]:
        latest.setdefault(session.counselor_id, session.pk)
    chat_urls = {c.pk: _first_url("sessions:conversation_start", args=[latest[c.pk]]) for c in counselors}
    return {
        "upcoming": [{"session": s, "times": session_times(session=s, viewer=client)} for s in upcoming],
        "past": [{"session": s, "times": session_times(session=s, viewer=client)} for s in past[:20]],
        "counselors": [{"counselor": c, "profile": c.counselor_profile, "chat_url": chat_urls[c.pk]}
                       for c in counselors],
        "messages_url": _first_url("sessions:chat_list"),
        # The escalation feature's "I need help now" (a POST that alerts the counselor at once).
        "help_url": _first_url("escalation:help_request"),
        "emergency_numbers": emergency_numbers(country=place.country if place else "",
                                               region=place.region if place else ""),
        "referrals": referrals,
        "client_zone": client.client_profile.time_zone,
    }


def counselor_dashboard_context(*, request) -> dict:
    from sessions.forms import CaseloadFilterForm

    counselor = request.user
    form = CaseloadFilterForm(request.GET or None)
    search = show = ""
    if form.is_valid():
        search, show = form.cleaned_data["q"], form.cleaned_data["show"]
    rows = caseload(counselor=counselor, search=search, show=show)
    page = Paginator(rows, settings.CASELOAD_PAGE_SIZE).get_page(request.GET.get("page"))
    clients = list(page.object_list)
    statuses = caseload_gate_statuses(counselor=counselor, clients=clients)
    zone = counselor.counselor_profile.time_zone
    return {
        "form": form, "page": page, "zone": zone, "filtered": bool(search or show),
        "rows": [{"client": c, "consent": statuses[c.pk][0], "identity": statuses[c.pk][1],
                  "last_contact": caseload_last_contact(c)} for c in clients],
        "query": urlencode({k: v for k, v in (("q", search), ("show", show)) if v}),
    }
