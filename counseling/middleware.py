from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.utils.translation import gettext as _

from counseling.clock import now

# No third-party origin anywhere: scripts, styles, fonts and images are our own (the lesson of the
# 2023 FTC order against an online-therapy company that leaked data through trackers).
CONTENT_SECURITY_POLICY = "; ".join([
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
])
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


class InactivityLogoutMiddleware:
    """Log out after INACTIVITY_TIMEOUT_SECONDS without a request (ACA H.2.c, HIPAA 164.312)."""

    session_key = "last_activity"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            current = now().timestamp()
            last = request.session.get(self.session_key)
            if last is not None and current - last > settings.INACTIVITY_TIMEOUT_SECONDS:
                from counseling.audit import audit_record

                user = request.user
                logout(request)
                audit_record(actor=user, action="auth.logout.inactivity", target=user, request=request)
                messages.info(request, _("You were signed out after a period of inactivity."))
                return redirect_to_login(request.get_full_path())
            request.session[self.session_key] = current
        return self.get_response(request)
