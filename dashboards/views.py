"""The home page of each role: where a person lands after signing in, and what they need next."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from counseling import clock
from counseling.models import Role
from counseling.permissions import admin_required, client_required, counselor_required
from dashboards.selectors import client_dashboard_context, counselor_dashboard_context
from identity.numbers import emergency_numbers_to_check
from incidents.selectors import running_clocks
from licensing.selectors import counselor_application, counselor_credentials_once


@login_required
def dashboard(request):
    """Everyone lands here after login and is sent to the home of their role."""
    destination = {
        Role.CLIENT: "client_home",
        Role.COUNSELOR: "counselor_home",
        Role.ADMIN: "staff_home",
    }[request.user.role]
    return redirect(destination)


@client_required
def client_home(request):
    """The client's dashboard: sessions, counselors, referrals, messaging and the way to urgent help."""
    return render(request, "dashboards/client_home.html", client_dashboard_context(request=request))


@counselor_required
def counselor_home(request):
    """The caseload dashboard; while the counselor is not in the directory, their application's next step first."""
    application = counselor_application(counselor=request.user, at=clock.now())
    # The application read the counselor with their profile and licences: the page's gates and time zone use that
    # row, and the consent's disclosure of the counselor those licences.
    counselor_credentials_once(counselor=application.counselor, licences=application.licences)
    context = counselor_dashboard_context(request=request, counselor=application.counselor)
    context["application"] = None if application.listed else application
    return render(request, "dashboards/counselor_home.html", context)


@admin_required
def staff_home(request):
    return render(
        request,
        "dashboards/staff_home.html",
        {
            "numbers_to_check": emergency_numbers_to_check(today=clock.now().date()),
            "recheck_days": settings.EMERGENCY_NUMBER_RECHECK_DAYS,
            "breach_clocks": running_clocks(),
        },
    )
