import functools

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseBadRequest
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from counseling.audit import audit_record
from counseling.clock import now
from counseling.inactivity import activity_record, inactivity_expired

# No third-party origin anywhere: scripts, styles, fonts and images are our own (the lesson of the
# 2023 FTC order against an online-therapy company that leaked data through trackers).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            # Pages with client data must not be kept by shared machines' caches.
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def bad_request(request) -> HttpResponseBadRequest:
    """The 400 page: the request held something no page of ours sends."""
    return HttpResponseBadRequest(render_to_string("400.html", request=request))


def _holds_nul(params) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in params.lists())


class NulRefusalMiddleware:
    """Refuses a NUL character anywhere in the path, the query or a form body with a 400, before any view runs.

    No page of ours sends one, Django's form fields refuse it, and PostgreSQL cannot store or compare it: a
    view that reads request.GET or request.POST itself (a search, a filter) would otherwise fail with a 500.
    Uploaded files are not checked (binary data holds NULs); only their names are, by the upload's own form."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or _holds_nul(request.GET):
            return bad_request(request)
        if request.method == "POST" and _holds_nul(request.POST):
            return bad_request(request)
        return self.get_response(request)


class InactivityLogoutMiddleware:
    """Log out after INACTIVITY_TIMEOUT_SECONDS without activity (counseling.inactivity; ACA H.2.c, HIPAA 164.312)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            at = now()
            if inactivity_expired(session=request.session, at=at):
                user = request.user
                request.sign_out_reason = "inactive"  # the open sockets say why (counseling.receivers)
                logout(request)
                audit_record(
                    actor=user, action="auth.logout.inactivity", target=user, request=request, detail={"via": "page"}
                )
                messages.info(request, _("You were signed out after a period of inactivity."))
                return redirect_to_login(request.get_full_path())
            activity_record(session=request.session, at=at)
        return self.get_response(request)


class ChosenLanguageMiddleware:
    """A signed-in person who chose a language on their account (counselors and admins,
    counseling.services.account_language_set) gets every page in it, whatever the cookie or the
    browser's Accept-Language say. After AuthenticationMiddleware; LocaleMiddleware's guess is overruled.

    Why here and not only a cookie set at sign-in: the account is the one place the choice lives. A cookie
    is per browser: it is missing on a second device, lost when cookies are cleared, left behind on a
    shared machine for the next person, and stale after the choice changes elsewhere. The alerts and
    e-mails read the same field (counseling.mail.language_of), so a page and an alert never disagree.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language in dict(settings.LANGUAGES):
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


def allows_camera_and_microphone(view):
    """STUB of calls-edge's decorator (same name; the merge keeps theirs): this view's response lets the page itself
    use the camera and microphone (the call page). Sets the header that SecurityHeadersMiddleware then keeps."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response.permissions_policy_allow = ("camera", "microphone")
        response.headers["Permissions-Policy"] = PERMISSIONS_POLICY.replace("camera=()", "camera=(self)").replace(
            "microphone=()", "microphone=(self)"
        )
        return response

    return wrapped
