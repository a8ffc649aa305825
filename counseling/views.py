from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import i18n
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from counseling.audit import audit_record
from counseling.forms import AccountLanguageForm, ClientSignUpForm, ThrottledLoginForm
from counseling.health import healthz_response, readyz_response
from counseling.permissions import STAFF_ROLES, signed_in_required, staff_required
from counseling.redirects import safe_next_url
from counseling.selectors import notices_of
from counseling.services import (
    account_language_adopt,
    account_language_set,
    client_sign_up,
    notice_mark_read,
    notices_mark_all_read,
)


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


def signup(request):
    if request.user.is_authenticated:
        return redirect("dashboard")
    form = ClientSignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = client_sign_up(
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
            display_name=form.cleaned_data["display_name"],
            preferred_language=form.cleaned_data["preferred_language"],
            time_zone=form.cleaned_data["time_zone"],
            request=request,
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome. Your account is ready."))
        return _use_language(redirect("dashboard"), user.client_profile.preferred_language)
    return render(request, "registration/signup.html", {"form": form})


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
