"""The Django admin, behind the same second factor as every staff page."""

from django.contrib.admin import AdminSite
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from counseling.mfa import has_confirmed_device


class VerifiedAdminSite(AdminSite):
    """Admin pages need an admin account AND a second factor verified in this session."""

    def has_permission(self, request):
        user = request.user
        return bool(super().has_permission(request) and user.is_admin and user.is_verified())

    def login(self, request, extra_context=None):
        # One sign-in page for the whole site (it has the login throttling), then the OTP step.
        next_url = request.GET.get("next") or reverse("admin:index")
        if not request.user.is_authenticated:
            return redirect(f"{reverse('login')}?{urlencode({'next': next_url})}")
        if request.user.is_admin and not request.user.is_verified():
            step = "mfa:verify" if has_confirmed_device(request.user) else "mfa:setup"
            return redirect(f"{reverse(step)}?{urlencode({'next': next_url})}")
        return super().login(request, extra_context)
