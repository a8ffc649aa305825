"""Views of the licensing app: thin; they parse, check permission, call one service, render."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from counseling.audit import audit_record
from counseling.clock import now
from counseling.crypto import DecryptionError
from counseling.documents import document_response
from counseling.models import Role
from counseling.parameters import int_param
from counseling.permissions import admin_required, client_required, counselor_required
from identity.selectors import UNREAD, intake_place, intake_with_time_zone
from licensing import selectors, services
from licensing.forms import (
    DirectoryFilterForm,
    LicenceSubmitForm,
    LocationForm,
    PrivilegeForm,
    StateChangeForm,
    VerificationForm,
)
from licensing.models import CompactPrivilege, Jurisdiction

LOCATION_SESSION_KEY = "licensing_location"


def _parse_place(request) -> tuple[str, str] | None:
    """A place the visitor chose on the page: ?place=ID-JK, or ?country=ID&region=ID-JK. None if none."""
    place = (request.GET.get("place") or "").strip().upper()
    country = (request.GET.get("country") or "").strip().upper()
    region = (request.GET.get("region") or "").strip().upper()
    if place:
        country, region = (place.split("-", 1)[0], place) if "-" in place else (place, "")
    if not country:
        return None
    if not selectors.valid_jurisdiction(country=country, region=region):
        return None
    return country, region


def _visitor_location(request, *, intake=UNREAD) -> tuple[tuple[str, str], str]:
    """Where the visitor is for the directory, and where that came from ("chosen", "intake", ""). `intake`: a
    signed-in client's intake (or None) when the caller has read it."""
    chosen = _parse_place(request)
    if chosen is not None:
        request.session[LOCATION_SESSION_KEY] = list(chosen)
        return chosen, "chosen"
    if request.GET.get("place") == "" and "place" in request.GET:
        request.session.pop(LOCATION_SESSION_KEY, None)
    stored = request.session.get(LOCATION_SESSION_KEY)
    if stored:
        return (stored[0], stored[1]), "chosen"
    if request.user.is_authenticated and request.user.role == Role.CLIENT:
        place = intake_place(client=request.user, intake=intake)
        if place[0]:
            return place, "intake"
    return ("", ""), ""


def _place_name(country: str, region: str, jurisdictions: list[selectors.JurisdictionRow] | None = None) -> str:
    if jurisdictions is None:
        row = Jurisdiction.objects.filter(country=country, region=region).first()
    else:
        row = selectors.jurisdiction_named(jurisdictions=jurisdictions, country=country, region=region)
    return row.name if row else (region or country)


def directory(request):
    """Public: counselors with a verified, valid licence. For a known location, who may counsel there."""
    intake = UNREAD
    if request.user.is_authenticated and request.user.role == Role.CLIENT:
        # Their place (unless they chose one) and their time zone, in one query.
        intake = intake_with_time_zone(client=request.user)
    (country, region), source = _visitor_location(request, intake=intake)
    at = now()
    # Read once for the gate's place name, the heading's and the place menu.
    jurisdictions = selectors.jurisdiction_table()
    entries = selectors.directory_entries(at=at, country=country, region=region, jurisdictions=jurisdictions)
    filters = DirectoryFilterForm(request.GET, specialities=selectors.directory_specialities(entries))
    entries = selectors.directory_filter(entries, at=at, **filters.filters())
    page = Paginator(entries, settings.DIRECTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    selectors.directory_cards(page.object_list)
    selectors.directory_next_free([entry for entry in page.object_list if entry.next_free is None], at=at)
    notices = []
    if request.user.is_authenticated and request.user.role == Role.CLIENT:
        notices = list(selectors.open_lapse_notices(client=request.user))
    form = LocationForm(initial={"place": region or country}, jurisdictions=jurisdictions)
    return render(
        request,
        "licensing/directory.html",
        {
            "entries": page.object_list,
            "page": page,
            "query": urlencode([(key, value) for key, value in request.GET.items() if key != "page"]),
            "form": form,
            "country": country,
            "region": region,
            "location_source": source,
            "place_name": _place_name(country, region, jurisdictions) if country else "",
            "lapse_notices": notices,
            "filters": filters,
            "filtered": any(filters.filters().values()),
            "zone": _visitor_zone(request.user, intake=intake),
            "horizon_days": settings.BOOKING_HORIZON_DAYS,
        },
    )


def _visitor_zone(user, *, intake=UNREAD) -> str:
    """Where a time in the directory is shown: the signed-in person's own zone, else the site's (UTC). `intake`: a
    client's, read with their time zone (intake_with_time_zone), or None or UNREAD."""
    if intake is not UNREAD and intake is not None and intake.client_time_zone:
        return intake.client_time_zone
    profile = getattr(user, "client_profile", None) or getattr(user, "counselor_profile", None)
    return profile.time_zone if profile is not None else "UTC"


def counselor_profile(request, user_id: int):
    """Public profile: credentials, verified licences and their issuing bodies, languages, time zone."""
    counselor = selectors.access_counselor_public(counselor_id=user_id)
    (country, region), source = _visitor_location(request)
    at = now()
    gate = selectors.jurisdiction_gate(counselor=counselor, country=country, region=region, at=at) if country else None
    return render(
        request,
        "licensing/profile.html",
        {
            "counselor": counselor,
            "profile": counselor.counselor_profile,
            "licences": selectors.public_licences(counselor=counselor, at=at),
            "privileges": selectors.public_privileges(counselor=counselor, at=at),
            "gate": gate,
            "country": country,
            "region": region,
            "location_source": source,
            "place_name": _place_name(country, region) if country else "",
            "booking_template": _booking_template() if gate else "",
            "booking_url": _booking_url(counselor) if gate else "",
        },
    )


BOOKING_TEMPLATE = "sessions/_book_button.html"


def _booking_template() -> str:
    """The booking app's "book" button, if it provides one (it gets `counselor`, `profile`, `gate`)."""
    try:
        get_template(BOOKING_TEMPLATE)
    except TemplateDoesNotExist:
        return ""
    return BOOKING_TEMPLATE


def _booking_url(counselor) -> str:
    """The booking app's page for this counselor (sessions:booking_slots), if it exists."""
    try:
        return reverse("sessions:booking_slots", args=[counselor.pk])
    except NoReverseMatch:
        return ""


@client_required
@require_POST
def lapse_notice_dismiss(request, notice_id: int):
    services.lapse_notice_dismiss(client=request.user, notice_id=notice_id)
    return redirect("licensing:directory")


@counselor_required
def my_licences(request):
    form = LicenceSubmitForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.licence_submit(
                counselor=request.user,
                submitted_by=request.user,
                issuing_body=data["issuing_body"],
                kind=data["kind"],
                number=data["number"],
                jurisdiction=data["jurisdiction"],
                scope=data["scope"],
                valid_from=data["valid_from"],
                expires_on=data["expires_on"],
                evidence=form.evidence_bytes,
                evidence_filename=data["evidence"].name,
                request=request,
            )
        except services.LicenceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("Licence submitted. An admin will check it against the issuing body's register.")
            )
            return redirect("licensing:my_licences")
    return render(
        request,
        "licensing/my_licences.html",
        {
            "form": form,
            "licences": selectors.counselor_licences(counselor=request.user),
            "privileges": selectors.counselor_privileges(counselor=request.user),
        },
    )


@counselor_required
def application(request):
    """The counselor's own application: what is done, what waits, and the page for each step."""
    return render(
        request,
        "licensing/application.html",
        {"application": selectors.counselor_application(counselor=request.user, at=now())},
    )


@admin_required
def applications(request):
    """Admins: counselors not in the directory, each with the step their application waits for and links to the
    licences to review. Opening it is audit-logged (it lists people's e-mail addresses)."""
    rows = selectors.counselor_applications(at=now())
    audit_record(actor=request.user, action="licence.applications_viewed", request=request, detail={"rows": len(rows)})
    return render(request, "licensing/applications.html", {"applications": rows})


@admin_required
def queue(request):
    return render(
        request,
        "licensing/queue.html",
        {
            "pending": selectors.verification_queue(),
            "recent": selectors.licences_recently_decided(),
        },
    )


@admin_required
def review(request, licence_id: int):
    licence = selectors.access_licence(user=request.user, licence_id=licence_id)
    verification_form = VerificationForm(prefix="check")
    state_form = StateChangeForm(prefix="state")
    privilege_form = PrivilegeForm(prefix="privilege")
    if request.method == "POST":
        action = request.POST.get("form")
        try:
            if action == "check":
                verification_form = VerificationForm(request.POST, prefix="check")
                if verification_form.is_valid():
                    return _decide(request, licence, verification_form.cleaned_data)
            elif action == "state":
                state_form = StateChangeForm(request.POST, prefix="state")
                if state_form.is_valid():
                    change = {
                        "suspend": services.licence_suspend,
                        "revoke": services.licence_revoke,
                        "reinstate": services.licence_reinstate,
                    }[state_form.cleaned_data["action"]]
                    change(
                        licence=licence, admin=request.user, reason=state_form.cleaned_data["reason"], request=request
                    )
                    messages.success(request, _("Licence state changed."))
                    return redirect("licensing:review", licence_id=licence.pk)
            elif action == "privilege":
                privilege_form = PrivilegeForm(request.POST, prefix="privilege")
                if privilege_form.is_valid():
                    services.privilege_record(
                        admin=request.user, home_licence=licence, request=request, **privilege_form.cleaned_data
                    )
                    messages.success(request, _("Privilege recorded."))
                    return redirect("licensing:review", licence_id=licence.pk)
            elif action == "revoke-privilege":
                privilege_id = int_param(request.POST, "privilege_id")
                privilege = (
                    CompactPrivilege.objects.filter(pk=privilege_id, home_licence=licence).first()
                    if privilege_id is not None
                    else None
                )
                if privilege is None:
                    raise Http404
                services.privilege_revoke(
                    admin=request.user, privilege=privilege, reason=request.POST.get("reason", ""), request=request
                )
                messages.success(request, _("Privilege revoked."))
                return redirect("licensing:review", licence_id=licence.pk)
        except services.VerificationRefused as exc:
            messages.error(request, str(exc))
        except services.LicenceError as exc:
            messages.error(request, str(exc))
        licence.refresh_from_db()
    return render(
        request,
        "licensing/review.html",
        {
            "licence": licence,
            "verification_form": verification_form,
            "state_form": state_form,
            "privilege_form": privilege_form,
            "checks": licence.checks.select_related("checked_by"),
            "history": selectors.licence_history(licence=licence),
            "privileges": licence.privileges.select_related("jurisdiction", "agreement"),
            "may_decide": not services.four_eyes_refusal(licence=licence, actor=request.user),
        },
    )


def _decide(request, licence, data):
    common = {
        "licence": licence,
        "admin": request.user,
        "registry_reference": data["registry_reference"],
        "registry_finding": data["registry_finding"],
        "checked_at": data["checked_at"],
        "reason": data["reason"],
        "request": request,
    }
    if data["decision"] == "verify":
        services.licence_verify(**common)
        messages.success(request, _("Licence verified."))
    else:
        services.licence_reject(**common)
        messages.success(request, _("Licence rejected; the counselor sees your reason."))
    return redirect("licensing:queue")


@admin_required
def evidence(request, licence_id: int):
    """The evidence document, to an admin only, never cached; each view is audit-logged."""
    licence = selectors.access_licence(user=request.user, licence_id=licence_id)
    try:
        data, filename, content_type = services.licence_evidence_read(
            licence=licence, viewer=request.user, request=request
        )
    except services.LicenceError as exc:
        raise Http404 from exc
    except DecryptionError:
        messages.error(request, _("The document cannot be opened (its key is gone or it was altered)."))
        return redirect("licensing:review", licence_id=licence.pk)
    return document_response(data=data, content_type=content_type, filename=filename)
