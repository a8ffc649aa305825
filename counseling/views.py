from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import i18n
from django.views.decorators.http import require_GET

from counseling.audit import audit_record, client_ip
from counseling.email_verification import TokenInvalid, email_verification_user
from counseling.forms import (
    AccountLanguageForm,
    ClientSignUpForm,
    CounselorProfileForm,
    CounselorSignUpForm,
    ThrottledLoginForm,
    ThrottledPasswordResetForm,
)
from counseling.health import healthz_response, readyz_response
from counseling.permissions import STAFF_ROLES, counselor_required, staff_required
from counseling.services import (
    PROFILE_FIELDS,
    account_language_set,
    client_sign_up,
    counselor_profile_update,
    counselor_sign_up,
    email_verification_send,
    password_reset_attempt_allowed,
    signup_attempt_allowed,
)
from counseling.services import email_verify as email_verify_service


def home(request):
    return render(request, "counseling/home.html")


@require_GET
def healthz(request):
    """Liveness (counseling.health.ProbeMiddleware answers it first; this is the URL's name and fallback)."""
    return healthz_response()


@require_GET
def readyz(request):
    """Readiness: PostgreSQL, Redis and the migrations (counseling.health)."""
    return readyz_response()


def _use_language(response, language: str):
    # The cookie alone: LocaleMiddleware picks it up on the next request. Activating here would leak
    # the language into whatever this thread serves next.
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
        max_age=365 * 24 * 3600,
    )
    return response


SIGNUP_EMAIL_SESSION_KEY = "signup_email"


def _signup_throttled(request, template: str, form):
    form.add_error(None, _("Too many sign-ups from your network. Please wait an hour and try again."))
    return render(request, template, {"form": form}, status=429)


def signup(request):
    """A client signs up. Whether or not the address already has an account, the answer is the same page ("we sent
    you an e-mail"): the new account gets its verification link, an existing one a notice (services._sign_up)."""
    if request.user.is_authenticated:
        return redirect("dashboard")
    form = ClientSignUpForm(request.POST or None)
    if request.method == "POST":
        if not signup_attempt_allowed(ip=client_ip(request)):
            return _signup_throttled(request, "registration/signup.html", form)
        if form.is_valid():
            client_sign_up(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                display_name=form.cleaned_data["display_name"],
                preferred_language=form.cleaned_data["preferred_language"],
                time_zone=form.cleaned_data["time_zone"],
                request=request,
            )
            request.session[SIGNUP_EMAIL_SESSION_KEY] = form.cleaned_data["email"]
            return _use_language(redirect("signup_sent"), form.cleaned_data["preferred_language"])
    return render(request, "registration/signup.html", {"form": form})


def counselor_signup(request):
    """A counselor applies (issue 20): the account first; then the e-mail link, the second factor, licences with
    evidence and the profile. Nobody sees them in the directory before an admin has verified a licence."""
    if request.user.is_authenticated:
        return redirect("dashboard")
    form = CounselorSignUpForm(request.POST or None, initial={"language": translation.get_language()})
    if request.method == "POST":
        if not signup_attempt_allowed(ip=client_ip(request)):
            return _signup_throttled(request, "registration/signup_counselor.html", form)
        if form.is_valid():
            data = form.cleaned_data
            counselor_sign_up(
                email=data["email"],
                password=data["password1"],
                display_name=data["display_name"],
                professional_title=data["professional_title"],
                practice_location=data["practice_location"],
                practice_country=data["practice_country"],
                time_zone=data["time_zone"],
                language=data["language"],
                request=request,
            )
            request.session[SIGNUP_EMAIL_SESSION_KEY] = data["email"]
            return _use_language(redirect("signup_sent"), data["language"])
    return render(request, "registration/signup_counselor.html", {"form": form})


def signup_sent(request):
    return render(request, "registration/signup_sent.html", {"email": request.session.get(SIGNUP_EMAIL_SESSION_KEY)})


def email_verify(request, token: str):
    """The link from the e-mail. GET asks for a click (mail scanners open links; they do not press buttons);
    POST confirms. Nobody is signed in by it."""
    try:
        user = email_verification_user(token=token)
    except TokenInvalid as invalid:
        status = 410 if invalid.code == "expired" else 404
        return render(request, "registration/email_verify.html", {"invalid": invalid.code}, status=status)
    if request.method == "POST":
        email_verify_service(user=user, request=request)
        messages.success(request, _("Your e-mail address is confirmed. Thank you."))
        if request.user.is_authenticated and request.user.pk == user.pk:
            return redirect("dashboard")
        return redirect("login")
    return render(request, "registration/email_verify.html", {"already": user.email_verified})


@login_required
def email_verify_pending(request):
    """The signed-in person's own address: "confirm it", and the link sent again on request."""
    user = request.user
    if user.email_verified:
        return redirect("dashboard")
    if request.method == "POST":
        if email_verification_send(user=user, request=request):
            messages.success(request, _("We sent the link again. It can take a few minutes to arrive."))
        else:
            messages.error(
                request, _("We have sent several links in the last hour. Please wait a while before asking again.")
            )
        return redirect("email_verify_pending")
    return render(request, "registration/email_verify_pending.html", {"email": user.email})


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset, limited per real client address (PASSWORD_RESET_ADDRESS_LIMIT) and per account
    (ThrottledPasswordResetForm). Whether the address has an account is never said."""

    form_class = ThrottledPasswordResetForm

    def post(self, request, *args, **kwargs):
        if not password_reset_attempt_allowed(ip=client_ip(request)):
            form = self.get_form()
            form.is_valid()
            form.add_error(None, _("Too many reset requests from your network. Please wait an hour and try again."))
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)


@counselor_required
def counselor_profile_edit(request):
    """A counselor's own public profile: nobody else's is named here."""
    profile = request.user.counselor_profile
    initial = {name: getattr(profile, name) for name in PROFILE_FIELDS}
    initial["languages"] = profile.language_codes
    form = CounselorProfileForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        counselor_profile_update(
            counselor=request.user,
            photo=form.photo_kept,
            photo_remove=data["photo_remove"],
            request=request,
            **{name: data[name] for name in PROFILE_FIELDS},
        )
        messages.success(request, _("Your profile is saved."))
        return redirect("counselor_profile_edit")
    return render(request, "counseling/counselor_profile_edit.html", {"form": form, "profile": profile})


class LoginView(auth_views.LoginView):
    form_class = ThrottledLoginForm
    redirect_authenticated_user = True

    def get(self, request, *args, **kwargs):
        if request.GET.get("signed_out") == "inactive":  # sent here by a chat socket (sessions.chat.consumers)
            messages.info(request, _("You were signed out after a period of inactivity."))
        # chat.js discarded the unsent messages it kept in this browser and says how many (static/js/chat.js).
        _tell_unsent_discarded(request, request.GET.get("discarded"))
        return super().get(request, *args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.get_user()
        audit_record(actor=user, action="auth.login", target=user, request=self.request)
        profile = getattr(user, "client_profile", None)
        # The cookie too (the pages follow a staff member's choice anyway, ChosenLanguageMiddleware), so the
        # pages after signing out stay in the person's language.
        language = user.language or (profile.preferred_language if profile else "")
        return _use_language(response, language) if language else response


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            audit_record(actor=request.user, action="auth.logout", target=request.user, request=request)
        response = super().post(request, *args, **kwargs)
        # site.js emptied this browser's chat outboxes as the form was sent and counted them.
        _tell_unsent_discarded(request, request.POST.get("unsent_discarded"))
        # And in case a script could not run: the browser drops this site's local storage (the outboxes).
        response["Clear-Site-Data"] = '"storage"'
        return response


def _tell_unsent_discarded(request, value) -> None:
    """Say how many unsent chat messages were discarded from this browser at sign-out (nothing if none)."""
    try:
        count = max(0, min(int(value or 0), 10_000))
    except (TypeError, ValueError):
        return
    if count:
        messages.warning(
            request,
            ngettext(
                "%(count)d unsent chat message was discarded from this browser, so nobody using this device can "
                "read it.",
                "%(count)d unsent chat messages were discarded from this browser, so nobody using this device can "
                "read them.",
                count,
            )
            % {"count": count},
        )


@staff_required
def account_language(request):
    """A counselor or admin chooses their own language: only their own (no one else's is named here)."""
    user = request.user
    form = AccountLanguageForm(request.POST or None, initial={"language": user.language or translation.get_language()})
    if request.method == "POST" and form.is_valid():
        language = form.cleaned_data["language"]
        account_language_set(user=user, language=language, request=request)
        with translation.override(language):
            messages.success(request, _("Your language is saved: your pages, alerts and e-mails use it."))
        return _use_language(redirect("account_language"), language)
    return render(request, "counseling/account_language.html", {"form": form})


def language_switch(request):
    """The header's language switcher (Django's set_language). A signed-in counselor or admin past the second
    factor keeps the choice on their account, or their pages would switch back at the next request."""
    user = request.user
    language = request.POST.get("language", "") if request.method == "POST" else ""
    if (
        user.is_authenticated
        and user.role in STAFF_ROLES
        and user.is_verified()
        and language in dict(settings.LANGUAGES)
    ):
        account_language_set(user=user, language=language, request=request)
    return i18n.set_language(request)
