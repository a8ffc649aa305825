"""The second-factor pages for counselors and admins: set up an authenticator, pass the code step,
renew recovery codes. Thin: forms parse, counseling.mfa decides and writes."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from counseling import mfa
from counseling.permissions import staff_required
from counseling.redirects import safe_next_url


class TokenForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("Authentication code"),
        max_length=20,
        help_text=gettext_lazy("The 6-digit code from your authenticator app, or one of your recovery codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}),
    )


def _next_url(request) -> str:
    return safe_next_url(request, request.POST.get("next") or request.GET.get("next"), fallback=reverse("dashboard"))


def _step_url(name: str, next_url: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': next_url})}"


def _staff_only(request):
    if not mfa.needs_second_factor(request.user):
        raise PermissionDenied


@login_required
def setup(request):
    """Set up an authenticator. Someone who already has one must pass it first (no silent swap)."""
    _staff_only(request)
    if request.user.is_counselor and not request.user.email_verified:
        return redirect("email_verify_pending")  # an applicant confirms their address before anything else
    if mfa.has_confirmed_device(request.user):
        if not request.user.is_verified():
            return redirect(_step_url("mfa:verify", _next_url(request)))
        if not mfa.replace_allowed(request):
            # Replacing it starts on the settings page, with a code of the current one typed now.
            messages.info(request, _("To replace your authenticator, first enter a code from your current one."))
            return redirect(f"{reverse('account_settings')}#second-factor")
    device = mfa.totp_device_pending(user=request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = mfa.totp_device_confirm(request=request, device=device, token=form.cleaned_data["token"])
        if codes is not None:
            messages.success(request, _("Your authenticator is set up."))
            return render(request, "registration/otp_recovery_codes.html", {"codes": codes, "next": _next_url(request)})
        form.add_error("token", _("That code did not match. Check the time on your phone and try again."))
    return render(
        request,
        "registration/otp_setup.html",
        {
            "form": form,
            "qr_data_uri": mfa.totp_qr_data_uri(device),
            "secret": mfa.totp_secret_for_humans(device),
            "next": _next_url(request),
        },
    )


@login_required
def verify(request):
    """The code step after the password, once per sign-in."""
    _staff_only(request)
    if not mfa.has_confirmed_device(request.user):
        return redirect(_step_url("mfa:setup", _next_url(request)))
    if request.user.is_verified():
        return redirect(_next_url(request))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if mfa.second_factor_verify(request=request, token=form.cleaned_data["token"]):
            return redirect(_next_url(request))
        form.add_error(
            "token",
            _("That code did not match. Wait for a new code and try again; repeated failures make you wait longer."),
        )
    return render(request, "registration/otp_verify.html", {"form": form, "next": _next_url(request)})


@staff_required
def recovery_codes(request):
    return render(
        request, "registration/otp_recovery_codes.html", {"codes_left": mfa.recovery_codes_left(user=request.user)}
    )


@require_POST
@staff_required
def recovery_codes_renew(request):
    codes = mfa.recovery_codes_issue(user=request.user, request=request)
    return render(request, "registration/otp_recovery_codes.html", {"codes": codes, "next": reverse("dashboard")})
