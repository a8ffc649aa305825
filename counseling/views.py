from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import i18n
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from counseling import mfa
from counseling.audit import audit_record, client_ip
from counseling.email_verification import TokenInvalid, email_verification_user
from counseling.forms import (
    AccountLanguageForm,
    AccountProfileForm,
    ClientSignUpForm,
    CounselorProfileForm,
    CounselorSignUpForm,
    EmailChangeForm,
    PasswordChangeForm,
    ThrottledLoginForm,
    ThrottledPasswordResetForm,
)
from counseling.health import healthz_response, readyz_response
from counseling.mfa_views import TokenForm
from counseling.notices import notice_mark_read, notices_mark_all_read
from counseling.permissions import STAFF_ROLES, counselor_required, signed_in_required, staff_required
from counseling.redirects import safe_next_url
from counseling.selectors import notices_of
from counseling.services import (
    PROFILE_FIELDS,
    account_email_change_confirm,
    account_email_change_link,
    account_email_change_request,
    account_language_adopt,
    account_language_set,
    account_password_change,
    account_profile_update,
    account_sign_out_everywhere,
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
        # A language chosen before signing in (the header's switcher sets the cookie) carries over into the account.
        chosen = self.request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if chosen:
            account_language_adopt(user=user, language=chosen, request=self.request)
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


# --- Account settings: one page, one form per change; each view changes only the signed-in person's account ---


def _settings_page(request, **bound):
    """The settings page, with the form that was just sent (and its errors) in place of its empty twin."""
    user = request.user
    staff = user.role in STAFF_ROLES
    context = {
        "profile_form": bound.get("profile_form") or AccountProfileForm(user=user),
        "password_form": bound.get("password_form") or PasswordChangeForm(user=user),
        "email_form": bound.get("email_form") or EmailChangeForm(),
        "second_factor_form": (bound.get("second_factor_form") or TokenForm()) if staff else None,
        "devices": mfa.second_factor_devices(user=user) if staff else [],
        "recovery_codes_left": mfa.recovery_codes_left(user=user) if staff else 0,
        "email_link_hours": settings.EMAIL_CHANGE_LINK_HOURS,
    }
    return render(request, "counseling/account_settings.html", context)


@signed_in_required
def account_settings(request):
    """Display name, time zone and language (counseling.services.account_profile_update)."""
    user = request.user
    form = AccountProfileForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        language = form.cleaned_data["language"]
        try:
            account_profile_update(
                user=user,
                language=language,
                display_name=form.cleaned_data.get("display_name"),
                time_zone=form.cleaned_data.get("time_zone"),
                request=request,
            )
        except ValueError as exc:
            form.add_error(None, str(exc))
        else:
            with translation.override(language):
                messages.success(request, _("Your settings are saved."))
            return _use_language(redirect("account_settings"), language)
    return _settings_page(request, profile_form=form)


@require_POST
@signed_in_required
def account_password(request):
    """A new password: this browser stays signed in, every other one is signed out."""
    form = PasswordChangeForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            ended = account_password_change(
                user=request.user,
                current_password=form.cleaned_data["current_password"],
                new_password=form.cleaned_data["new_password1"],
                request=request,
            )
        except ValueError as exc:
            form.add_error("current_password", str(exc))
        else:
            messages.success(
                request,
                ngettext(
                    "Your password is changed. %(count)d other device was signed out.",
                    "Your password is changed. %(count)d other devices were signed out.",
                    ended,
                )
                % {"count": ended},
            )
            return redirect("account_settings")
    return _settings_page(request, password_form=form)


@require_POST
@signed_in_required
def account_email(request):
    """Ask for another address: a link goes there, and the change waits for it."""
    form = EmailChangeForm(request.POST)
    if form.is_valid():
        try:
            new_email = account_email_change_request(
                user=request.user,
                new_email=form.cleaned_data["new_email"],
                current_password=form.cleaned_data["email_password"],
                request=request,
            )
        except ValueError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _(
                    "We sent a link to %(address)s. Your address changes when you open it, within %(hours)d hours. "
                    "Until then your current address stays in use."
                )
                % {"address": new_email, "hours": settings.EMAIL_CHANGE_LINK_HOURS},
            )
            return redirect("account_settings")
    return _settings_page(request, email_form=form)


@signed_in_required
def account_email_confirm(request, token: str):
    """The link sent to a new address. Opening it shows a button (mail scanners open links too); the button
    changes the address."""
    problem, link = "", None
    try:
        link = account_email_change_link(user=request.user, token=token)
    except ValueError as exc:
        problem = str(exc)
    if request.method == "POST" and link is not None:
        try:
            new_email = account_email_change_confirm(user=request.user, token=token, request=request)
        except ValueError as exc:
            problem = str(exc)
        else:
            messages.success(request, _("Your e-mail address is now %(address)s.") % {"address": new_email})
            return redirect("account_settings")
    return render(request, "counseling/account_email_confirm.html", {"link": link, "problem": problem})


@require_POST
@signed_in_required
def account_sign_out_all(request):
    """Sign out on every device, this one included."""
    account_sign_out_everywhere(user=request.user, request=request)
    messages.success(request, _("You are signed out on every device."))
    _tell_unsent_discarded(request, request.POST.get("unsent_discarded"))  # site.js, as for the sign-out button
    response = redirect("home")
    response["Clear-Site-Data"] = '"storage"'
    return response


@require_POST
@staff_required
def account_second_factor_replace(request):
    """Replacing the authenticator starts with a code of the current one, typed now (counseling.mfa)."""
    form = TokenForm(request.POST)
    if form.is_valid():
        if mfa.replace_reverify(request=request, token=form.cleaned_data["token"]):
            return redirect(f"{reverse('mfa:setup')}?{urlencode({'next': reverse('account_settings')})}")
        form.add_error(
            "token",
            _("That code did not match. Wait for a new code and try again; repeated failures make you wait longer."),
        )
    return _settings_page(request, second_factor_form=form)


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


# --- The notice list: every notice the person was sent, read and unread -----------------------------------


@signed_in_required
@require_http_methods(["GET", "POST"])
def notices(request):
    """The signed-in person's own notices, newest first; a POST marks them all read."""
    if request.method == "POST":
        count = notices_mark_all_read(user=request.user)
        if count:
            messages.success(
                request,
                ngettext("%(count)d notice marked as read.", "%(count)d notices marked as read.", count)
                % {"count": count},
            )
        return redirect("notices")
    page = Paginator(notices_of(user=request.user), 50).get_page(request.GET.get("page"))
    return render(request, "counseling/notices.html", {"page": page})


@require_POST
@signed_in_required
def notice_read(request, user_notice_id: int):
    """Mark one of the person's own notices read, then go on to `next` (its link) or back to the list. Someone
    else's notice, or none, is 404 (never reveal that it exists)."""
    if (
        not notice_mark_read(user=request.user, notice_id=user_notice_id)
        and not notices_of(user=request.user).filter(pk=user_notice_id).exists()
    ):
        raise Http404
    return redirect(safe_next_url(request, request.POST.get("next"), fallback=reverse("notices")))
