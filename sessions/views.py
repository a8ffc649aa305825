"""Views of the sessions app."""

from collections import OrderedDict
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from consent.selectors import consent_onboarding_url
from counseling.audit import audit_record
from counseling.clock import now
from counseling.crypto import DecryptionError
from counseling.gates import fix_label
from counseling.models import Role, User
from counseling.parameters import int_param
from counseling.permissions import client_required, counselor_required
from counseling.redirects import safe_next_url
from identity.forms import CodeWordAnswerForm, LocationForm
from identity.numbers import emergency_numbers_by_country, emergency_numbers_for
from identity.selectors import intake_answers, intake_for, intake_summary, suitability_override_reasons
from identity.services import CodeWordLocked
from licensing.selectors import counselor_credentials_once, place_label
from sessions import selectors, services
from sessions.calendar import calendar_feed_owner, calendar_ics
from sessions.chat.services import session_code_word_answer
from sessions.forms import (
    CLIENT_CANCEL_REASONS,
    COUNSELOR_CANCEL_REASONS,
    AvailabilityExceptionForm,
    CancelForm,
    CounselorRescheduleForm,
    DeclineForm,
    MediumForm,
    ReferralForm,
    SlotForm,
    SuitabilityOverrideForm,
    WeeklyAvailabilityForm,
)
from sessions.models import AvailabilityException, CalendarFeed, SessionMedium, SessionState, WeeklyAvailability

# --- Booking, availability, session pages, referrals ------------------------------------


def _bookable_counselor(counselor_id: int, *, client) -> User:
    """The counselor, with the client's time zone as `client_time_zone` (selectors.client_zone's `time_zone`)."""
    counselor = selectors.bookable_counselor(counselor_id=counselor_id, client=client)
    if counselor is None:
        raise Http404
    return counselor


@client_required
def booking_counselors(request):
    """The counselors who may counsel the client where they are now, each with what is still in the way of
    booking them (and its link), their reply-time promise and time zone."""
    choices = selectors.booking_choices(client=request.user)
    rows = [
        {
            "counselor": counselor,
            "gate": gate,
            "consent": gate.reason.startswith("consent_"),
            "fix_url": consent_onboarding_url(
                counselor=counselor, next_url=reverse("sessions:booking_slots", args=[counselor.pk])
            )
            if gate.reason.startswith("consent_")
            else gate.action_url,
        }
        for counselor, gate in choices.rows
    ]
    return render(
        request,
        "sessions/booking_counselors.html",
        {
            "rows": rows,
            "choices": choices,
            "place_name": place_label(country=choices.place.country, region=choices.place.region)
            if choices.place
            else "",
        },
    )


@client_required
def booking_slots(request, counselor_id: int):
    """Free slots of one counselor in the client's time zone (and the counselor's), and booking one.

    With ?reschedule=<session id> (the client's own session) the chosen slot replaces that session.
    """
    counselor = _bookable_counselor(counselor_id, client=request.user)
    moving = None
    reschedule = int_param(request.GET, "reschedule")
    if reschedule is not None:
        moving = selectors.access_client_session(user=request.user, session_id=reschedule)
        if moving.counselor_id != counselor.pk:
            raise Http404
    at = now()
    weeks = _weeks_param(request.POST if request.method == "POST" else request.GET) if moving is None else 1
    refusal = None
    medium_form = MediumForm(request.POST if request.method == "POST" and "medium" in request.POST else None)
    if request.method == "POST":
        form = SlotForm(request.POST)
        medium = medium_form.cleaned_data["medium"] if medium_form.is_valid() else SessionMedium.CHAT
        if medium_form.is_bound and not medium_form.is_valid():
            messages.error(request, _("Please choose video, voice or chat."))
        elif form.is_valid():
            try:
                if weeks > 1:
                    booked = services.session_series_book(
                        client=request.user,
                        counselor=counselor,
                        first_starts_at=form.cleaned_data["starts_at"],
                        weeks=weeks,
                        request=request,
                        medium=medium,
                    )
                    _series_booked_messages(request, booked)
                    return redirect("sessions:session_detail", session_id=booked.sessions[0].pk)
                if moving is not None:
                    session = services.session_reschedule(
                        session=moving,
                        actor=request.user,
                        new_starts_at=form.cleaned_data["starts_at"],
                        request=request,
                    )
                    messages.success(request, _("Your session was moved. Both of you were notified."))
                else:
                    session = services.session_book(
                        client=request.user,
                        counselor=counselor,
                        starts_at=form.cleaned_data["starts_at"],
                        request=request,
                        medium=medium,
                    )
                    if session.state == SessionState.REQUESTED:
                        messages.success(
                            request,
                            _(
                                "Your request was sent. The counselor reads your intake, then accepts or declines; "
                                "we tell you here and by e-mail."
                            ),
                        )
                    else:
                        messages.success(request, _("Your session is booked. A confirmation was sent to you."))
                return redirect("sessions:session_detail", session_id=session.pk)
            except services.BookingError as error:
                if error.action_url:  # a gate's refusal: shown with the link to its fix, below
                    refusal = _fix_link(error.code, error.message, error.action_url, counselor=counselor)
                else:
                    messages.error(request, error.message)
        else:
            messages.error(request, _("Please choose a time from the list."))
    gate = None
    if refusal is None and moving is None:
        # Before a time is picked: what would refuse the booking now, with the link to its fix. Its consent gate
        # (the counselor's disclosure) and jurisdiction gate read the counselor's licences once between them.
        counselor_credentials_once(counselor=counselor)
        gate = selectors.booking_gate(client=request.user, counselor=counselor, starts_at=at, at=at)
        if not gate:
            refusal = _fix_link(gate.reason, gate.message, gate.action_url, counselor=counselor)
    client_tz = selectors.client_zone(request.user, time_zone=counselor.client_time_zone)
    counselor_tz = selectors.counselor_zone(counselor)
    slots = selectors.open_slots(
        counselor=counselor, start=at, end=at + timedelta(days=settings.BOOKING_HORIZON_DAYS), at=at
    )
    days: OrderedDict = OrderedDict()
    for slot in slots:
        local = slot.starts_at.astimezone(client_tz)
        days.setdefault(local.date(), []).append(
            {
                "iso": slot.starts_at.isoformat(),
                "mine": local,
                "mine_end": slot.ends_at.astimezone(client_tz),
                "theirs": slot.starts_at.astimezone(counselor_tz),
            }
        )
    # The booking gate's last question is the caseload's room: when it allowed, there is room.
    room = gate if gate else selectors.caseload_has_room_for(counselor=counselor, client=request.user, at=at)
    return render(
        request,
        "sessions/booking_slots.html",
        {
            "counselor": counselor,
            "profile": counselor.counselor_profile,
            "days": days,
            "moving": moving,
            "client_zone": client_tz.key,
            "counselor_zone": counselor_tz.key,
            "room": room,
            "same_zone": client_tz.key == counselor_tz.key,
            "weeks": weeks,
            "week_choices": range(1, settings.SESSION_SERIES_MAX_WEEKS + 1),
            "refusal": refusal,
            "medium_form": medium_form,
        },
    )


def _weeks_param(params) -> int:
    """How many weekly sessions the client asks for (1: a single session); out of range is refused by the service."""
    weeks = int_param(params, "weeks")
    return 1 if weeks is None else weeks


def _series_booked_messages(request, booked) -> None:
    zone = selectors.client_zone(request.user)
    messages.success(
        request,
        ngettext(
            "%(count)d weekly session is booked. A confirmation was sent to you.",
            "%(count)d weekly sessions are booked. A confirmation was sent to you.",
            len(booked.sessions),
        )
        % {"count": len(booked.sessions)},
    )
    if booked.stopped is not None:
        messages.warning(
            request,
            _("These later dates could not be booked: %(dates)s. %(reason)s")
            % {
                "dates": ", ".join(date_format(start.astimezone(zone), "j F Y") for start in booked.not_booked),
                "reason": booked.stopped.message,
            },
        )


def _fix_link(reason: str, message: str, action_url: str, *, counselor) -> dict:
    """A refusal as the booking pages show it: why, and a link to the page that fixes it (for consent: the terms
    with this counselor's details, coming back to this counselor's times)."""
    if reason.startswith("consent_"):
        action_url = consent_onboarding_url(
            counselor=counselor, next_url=reverse("sessions:booking_slots", args=[counselor.pk])
        )
    return {"reason": reason, "message": message, "action_url": action_url, "label": fix_label(reason)}


@login_required
def session_detail(request, session_id: int):
    """One session for its client or its counselor: both time zones, state, and what each may do."""
    session = selectors.access_session(user=request.user, session_id=session_id)
    services.session_advance(session=session)  # time-decided moves also happen on read
    is_client = request.user.pk == session.client_id
    if not is_client:
        services.session_viewed_record(user=request.user, session=session, request=request)
    reasons = CLIENT_CANCEL_REASONS if is_client else COUNSELOR_CANCEL_REASONS
    live = session.state in (SessionState.SCHEDULED, SessionState.OPEN, SessionState.IN_PROGRESS)
    location_prompt = (
        selectors.location_confirmation_prompt(
            session=session, viewer=request.user, zone=selectors.client_zone(request.user)
        )
        if is_client and live
        else None
    )
    return render(
        request,
        "sessions/session_detail.html",
        {
            "location_prompt": location_prompt,
            "confirmation_hours": settings.LOCATION_CONFIRMATION_HOURS,
            "location_url": reverse("sessions:session_location", args=[session.pk])
            + "?"
            + urlencode({"next": reverse("sessions:session_detail", args=[session.pk])})
            if is_client and live
            else "",
            "session": session,
            "times": selectors.session_times(session=session, viewer=request.user),
            "is_client": is_client,
            "can_cancel": selectors.can_cancel(session=session),
            "late": selectors.inside_notice_window(session=session),
            "notice_hours": settings.SESSION_CANCEL_NOTICE_HOURS,
            "cancel_form": CancelForm(reasons=services.CANCEL_REASONS, codes=reasons),
            "other": session.counselor if is_client else session.client,
            "can_mark_no_show": not is_client
            and session.state in (SessionState.SCHEDULED, SessionState.OPEN)
            and now() >= session.starts_at + timedelta(minutes=settings.SESSION_NO_SHOW_AFTER_MINUTES),
            "can_complete": not is_client and session.state == SessionState.IN_PROGRESS,
            "change_told": selectors.counselor_change_told(session=session, viewer=request.user),
            "request_told": selectors.request_outcome_told(session=session, viewer=request.user),
            "booking_request": getattr(session, "booking_request", None)
            if session.state == SessionState.REQUESTED
            else None,
            "series": selectors.series_summary(session=session),
            "series_cancel_form": CancelForm(reasons=services.CANCEL_REASONS, codes=reasons, prefix="series"),
            "medium_form": (
                MediumForm(initial={"medium": session.medium}) if selectors.medium_changeable(session=session) else None
            ),
            "is_call": session.medium in (SessionMedium.VIDEO, SessionMedium.VOICE),
        },
    )


@require_GET
@counselor_required
def session_request(request, session_id: int):
    return _request_page(request, session_id=session_id)


def _request_page(request, *, session_id: int, decline_form=None, override_form=None):
    """A new client's request, for its counselor: the session's time, the client's intake summary and suitability
    screen (an audited read), and the answers: accept, override the screen in writing, or decline (with a
    referral if useful)."""
    booking_request = selectors.access_request(user=request.user, session_id=session_id)
    session = booking_request.session
    services.session_advance(session=session)  # an expired request is shown as expired
    booking_request.refresh_from_db()
    client = session.client
    services.session_request_viewed_record(counselor=request.user, session=session, request=request)
    return render(
        request,
        "sessions/session_request.html",
        {
            "booking_request": booking_request,
            "session": session,
            "client": client,
            "waiting": session.state == SessionState.REQUESTED and not booking_request.outcome,
            "times": selectors.session_times(session=session, viewer=request.user),
            "intake": intake_summary(client=client),
            "screen_passed": selectors.screen_passed_for(client=client, counselor=request.user),
            "overrides": suitability_override_reasons(client=client, counselor=request.user),
            "decline_form": decline_form or DeclineForm(reasons=selectors.DECLINE_REASONS),
            "override_form": override_form or SuitabilityOverrideForm(),
            "decline_reason_label": selectors.DECLINE_REASONS.get(booking_request.decline_reason, ""),
        },
    )


@require_POST
@counselor_required
def session_request_accept(request, session_id: int):
    booking_request = selectors.access_request(user=request.user, session_id=session_id)
    try:
        session = services.session_request_accept(
            session=booking_request.session, counselor=request.user, request=request
        )
    except services.BookingError as error:
        messages.error(request, error.message)
        return redirect("sessions:session_request", session_id=session_id)
    messages.success(request, _("You accepted the client. The session is booked and the client was told."))
    return redirect("sessions:session_detail", session_id=session.pk)


@require_POST
@counselor_required
def session_request_decline(request, session_id: int):
    booking_request = selectors.access_request(user=request.user, session_id=session_id)
    form = DeclineForm(request.POST, reasons=selectors.DECLINE_REASONS)
    if form.is_valid():
        try:
            services.session_request_decline(
                session=booking_request.session, counselor=request.user, request=request, **form.cleaned_data
            )
        except services.BookingError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("You declined the request. The time is free again and the client was told."))
            return redirect("counselor_home")
    return _request_page(request, session_id=session_id, decline_form=form)


@require_POST
@counselor_required
def suitability_override(request, session_id: int):
    booking_request = selectors.access_request(user=request.user, session_id=session_id)
    form = SuitabilityOverrideForm(request.POST)
    if form.is_valid():
        try:
            services.session_request_screen_override(
                session=booking_request.session,
                counselor=request.user,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ValidationError as error:
            form.add_error("reason", error.messages[0])
        except services.BookingError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Your reason was recorded. You may now accept the client."))
            return redirect("sessions:session_request", session_id=session_id)
    return _request_page(request, session_id=session_id, override_form=form)


@require_POST
@login_required
def session_medium(request, session_id: int):
    """Either participant changes how the session is held (video, voice, chat) before it starts."""
    session = selectors.access_session(user=request.user, session_id=session_id)
    form = MediumForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please choose video, voice or chat."))
        return redirect("sessions:session_detail", session_id=session.pk)
    try:
        services.session_medium_change(
            session=session, actor=request.user, medium=form.cleaned_data["medium"], request=request
        )
        label = SessionMedium(form.cleaned_data["medium"]).label
        messages.success(request, _("Saved. The session is held by: %(medium)s.") % {"medium": label})
    except services.BookingError as error:
        messages.error(request, error.message)
    return redirect("sessions:session_detail", session_id=session.pk)


@require_POST
@login_required
def session_cancel(request, session_id: int):
    session = selectors.access_session(user=request.user, session_id=session_id)
    codes = CLIENT_CANCEL_REASONS if request.user.pk == session.client_id else COUNSELOR_CANCEL_REASONS
    form = CancelForm(request.POST, reasons=services.CANCEL_REASONS, codes=codes)
    if not form.is_valid():
        messages.error(request, _("Please choose a reason."))
        return redirect("sessions:session_detail", session_id=session.pk)
    try:
        services.session_cancel(
            session=session, actor=request.user, reason=form.cleaned_data["reason"], request=request
        )
        messages.success(request, _("The session was cancelled. Both of you were notified."))
    except services.BookingError as error:
        messages.error(request, error.message)
    return redirect("sessions:session_detail", session_id=session.pk)


@counselor_required
@require_http_methods(["GET", "POST"])
def session_reschedule(request, session_id: int):
    """The counselor moves a session of theirs to another of their free times, giving a reason the client is told
    in their language. The new time passes the booking gates at its own time."""
    session = selectors.access_session(user=request.user, session_id=session_id)
    if session.counselor_id != request.user.pk:
        raise Http404
    services.session_viewed_record(user=request.user, session=session, request=request)
    at = now()
    slots = selectors.open_slots(
        counselor=request.user, start=at, end=at + timedelta(days=settings.BOOKING_HORIZON_DAYS), at=at
    )
    counselor_tz, client_tz = selectors.counselor_zone(request.user), selectors.client_zone(session.client)
    choices = [
        (
            slot.starts_at.isoformat(),
            f"{date_format(slot.starts_at.astimezone(counselor_tz), 'D j M Y, H:i')} ({counselor_tz.key}) · "
            + _("client: %(when)s") % {"when": date_format(slot.starts_at.astimezone(client_tz), "D H:i")},
        )
        for slot in slots
    ]
    form = CounselorRescheduleForm(request.POST or None, slots=choices, reasons=services.CANCEL_REASONS)
    if request.method == "POST" and form.is_valid():
        try:
            new = services.session_reschedule(
                session=session,
                actor=request.user,
                new_starts_at=form.cleaned_data["starts_at"],
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except services.BookingError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The session was moved. The client was told, with your reason."))
            return redirect("sessions:session_detail", session_id=new.pk)
    return render(
        request,
        "sessions/session_reschedule.html",
        {"session": session, "form": form, "movable": selectors.can_cancel(session=session)},
    )


@require_POST
@login_required
def series_cancel(request, series_id: int):
    """Its client or counselor cancels the weekly sessions still to come; past ones stay as they were."""
    series = selectors.access_series(user=request.user, series_id=series_id)
    codes = CLIENT_CANCEL_REASONS if request.user.pk == series.client_id else COUNSELOR_CANCEL_REASONS
    form = CancelForm(request.POST, reasons=services.CANCEL_REASONS, codes=codes, prefix="series")
    back = request.POST.get("session") or ""
    first = series.sessions.order_by("starts_at").first()
    target = reverse("sessions:session_detail", args=[first.pk]) if first else reverse("dashboard")
    if back.isdigit() and series.sessions.filter(pk=int(back)).exists():
        target = reverse("sessions:session_detail", args=[int(back)])
    if not form.is_valid():
        messages.error(request, _("Please choose a reason."))
        return redirect(target)
    try:
        cancelled = services.session_series_cancel(
            series=series, actor=request.user, reason=form.cleaned_data["reason"], request=request
        )
    except services.BookingError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            ngettext(
                "%(count)d coming session of the series was cancelled. Both of you were notified.",
                "%(count)d coming sessions of the series were cancelled. Both of you were notified.",
                len(cancelled),
            )
            % {"count": len(cancelled)},
        )
    return redirect(target)


@login_required
@require_http_methods(["GET", "POST"])
def calendar_feed_settings(request):
    """A client's or counselor's private calendar feed: make its secret address, make a new one (the old stops
    working), or turn it off. The address is shown once, right after it is made: only its hash is kept."""
    if request.user.role not in (Role.CLIENT, Role.COUNSELOR):
        raise Http404
    address = ""
    if request.method == "POST":
        if request.POST.get("action") == "off":
            services.calendar_feed_remove(user=request.user, request=request)
            messages.success(request, _("Your calendar feed is off. Its address no longer works."))
            return redirect("sessions:calendar_feed_settings")
        token = services.calendar_feed_reset(user=request.user, request=request)
        address = request.build_absolute_uri(reverse("sessions:calendar_feed", args=[token]))
    response = render(
        request,
        "sessions/calendar_feed.html",
        {"address": address, "feed_on": CalendarFeed.objects.filter(user=request.user).exists()},
    )
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "HEAD"])
def calendar_feed(request, feed_token: str):
    """The feed itself, for calendar apps: no session cookie, the secret address is the key. 404 for any other."""
    owner = calendar_feed_owner(token=feed_token)
    if owner is None:
        raise Http404
    response = HttpResponse(calendar_ics(user=owner), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response


@require_POST
@counselor_required
def session_state(request, session_id: int):
    """The counselor records a no-show or ends a session; the services module makes the move."""
    session = selectors.access_session(user=request.user, session_id=session_id)
    if session.counselor_id != request.user.pk:
        raise Http404
    try:
        if request.POST.get("to") == SessionState.NO_SHOW:
            services.session_mark_no_show(session=session, actor=request.user, request=request)
        elif request.POST.get("to") == SessionState.COMPLETED:
            services.session_complete(session=session, actor=request.user, request=request)
        else:
            messages.error(request, _("Unknown action."))
    except services.BookingError as error:
        messages.error(request, error.message)
    return redirect("sessions:session_detail", session_id=session.pk)


@counselor_required
def availability(request):
    """The counselor's weekly hours and exceptions, in their own time zone."""
    weekly_form = WeeklyAvailabilityForm(
        request.POST if request.POST.get("form") == "weekly" else None, prefix="weekly"
    )
    exception_form = AvailabilityExceptionForm(
        request.POST if request.POST.get("form") == "exception" else None, prefix="exception"
    )
    if request.method == "POST":
        if request.POST.get("form") == "weekly" and weekly_form.is_valid():
            services.availability_weekly_add(counselor=request.user, request=request, **weekly_form.cleaned_data)
            messages.success(request, _("Working hours added."))
            return redirect("sessions:availability")
        if request.POST.get("form") == "exception" and exception_form.is_valid():
            services.availability_exception_add(counselor=request.user, request=request, **exception_form.cleaned_data)
            messages.success(request, _("Exception added."))
            return redirect("sessions:availability")
    today = now().astimezone(selectors.counselor_zone(request.user)).date()
    return render(
        request,
        "sessions/availability.html",
        {
            "weekly": WeeklyAvailability.objects.filter(counselor=request.user),
            "exceptions": AvailabilityException.objects.filter(counselor=request.user, date__gte=today),
            "weekly_form": weekly_form,
            "exception_form": exception_form,
            "zone": request.user.counselor_profile.time_zone,
        },
    )


@require_POST
@counselor_required
def availability_remove(request, kind: str, row_id: int):
    if kind not in ("weekly", "exception") or not services.availability_remove(
        counselor=request.user, kind=kind, row_id=row_id, request=request
    ):
        raise Http404
    messages.success(request, _("Removed."))
    return redirect("sessions:availability")


@counselor_required
def caseload_client(request, client_id: int):
    """One client of the counselor's caseload: their sessions with this counselor, and referrals."""
    client = selectors.access_caseload_client(user=request.user, client_id=client_id)
    form = ReferralForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.referral_create(counselor=request.user, client=client, request=request, **form.cleaned_data)
        messages.success(request, _("Referral recorded. The client can see it on their page."))
        return redirect("sessions:caseload_client", client_id=client.pk)
    sessions = client.client_sessions.filter(counselor=request.user).order_by("-starts_at")
    services.caseload_client_viewed_record(counselor=request.user, client=client, request=request)
    return render(
        request,
        "sessions/session_client.html",
        {
            "client": client,
            "sessions": sessions,
            "form": form,
            "referrals": _readable_referrals(selectors.client_referrals(client=client).filter(counselor=request.user)),
        },
    )


def _readable_referrals(referrals) -> list[dict]:
    rows = []
    for referral in referrals:
        try:
            reason, destination = selectors.referral_text(referral=referral)
        except DecryptionError:
            reason, destination = None, None
        rows.append({"referral": referral, "reason": reason, "destination": destination})
    return rows


# --- Where the client is for a session, and the code word at its start (ACA H.1.b, H.3) -------------


@client_required
@require_http_methods(["GET", "POST"])
def session_location(request, session_id: int):
    """Where the client is now, confirmed before this session (ACA H.1.b)."""
    session = selectors.access_session(user=request.user, session_id=session_id)
    if session.client_id != request.user.pk:
        raise Http404
    initial = {"country": session.location_country, "region": session.location_region}
    if not session.location_country:
        intake = intake_for(client=request.user)
        if intake is not None:
            try:
                answers = intake_answers(intake)
                initial = {"country": answers.get("country", ""), "region": answers.get("region", "")}
            except DecryptionError:
                pass
    try:  # the client's own landmark, back in their own form (no audit: nobody else reads it here)
        initial["landmark"] = selectors.session_landmark(session=session)
    except DecryptionError:
        pass
    form = LocationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.session_location_confirm(
                session=session,
                client=request.user,
                country=form.cleaned_data["country"],
                region=form.cleaned_data["region"],
                landmark=form.cleaned_data["landmark"],
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if selectors.location_confirmation_current(session=session):
                messages.success(request, _("Thank you. Your location for this session is confirmed."))
            else:
                messages.success(
                    request,
                    ngettext(
                        "Thank you. This session starts more than %(hours)d hour from now, so we will ask you again "
                        "in the hour before it.",
                        "Thank you. This session starts more than %(hours)d hours from now, so we will ask you again "
                        "in the %(hours)d hours before it.",
                        settings.LOCATION_CONFIRMATION_HOURS,
                    )
                    % {"hours": settings.LOCATION_CONFIRMATION_HOURS},
                )
            return redirect(safe_next_url(request, request.POST.get("next"), fallback=reverse("intake:home")))
    country = form["country"].value() or "ID"
    return render(
        request,
        "sessions/location.html",
        {
            "form": form,
            "session": session,
            "location_current": selectors.location_confirmation_current(session=session),
            "confirmation_hours": settings.LOCATION_CONFIRMATION_HOURS,
            "emergency_numbers": emergency_numbers_for(country=country, region=form["region"].value() or ""),
            "emergency_country": country,
            "emergency_places": emergency_numbers_by_country(),
        },
    )


@client_required
@require_http_methods(["GET", "POST"])
def code_word_answer(request, session_id: int):
    """The client types the code word privately; the counselor sees only whether it matched."""
    session = selectors.access_session(user=request.user, session_id=session_id)
    if session.client_id != request.user.pk:
        raise Http404
    form = CodeWordAnswerForm(request.POST or None)
    outcome = None
    if request.method == "POST" and form.is_valid():
        try:
            matched = session_code_word_answer(
                session=session, client=request.user, attempt=form.cleaned_data["attempt"], request=request
            )
        except CodeWordLocked:
            outcome = "locked"
        else:
            outcome = "matched" if matched else "not_matched"
        form = CodeWordAnswerForm()
    return render(request, "sessions/code_word.html", {"form": form, "session": session, "outcome": outcome})


@counselor_required
def code_word_result(request, session_id: int):
    """For the session's counselor: matches, does not match, or not answered yet. Never the word."""
    session = selectors.access_session(user=request.user, session_id=session_id)
    result = selectors.code_word_result_for(session=session, viewer=request.user)
    location_change = selectors.session_location_change(session=session)  # opens the client's intake
    audit_record(
        actor=request.user, action="code_word.result_viewed", target=session, subject=session.client_id, request=request
    )
    return render(
        request,
        "sessions/code_word_result.html",
        {
            "session": session,
            "result": result,
            "location_change": location_change,
        },
    )
