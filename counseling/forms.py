from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from counseling.audit import client_ip
from counseling.models import TIME_ZONE_CHOICES, User
from counseling.services import login_failure_record, login_failures_clear, login_is_throttled


class ClientSignUpForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    display_name = forms.CharField(
        label=_("Display name or pseudonym"),
        max_length=80,
        help_text=_("Your counselor sees this name. It does not have to be your real name."),
    )
    password1 = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput,
        strip=False,
        help_text=_("At least 10 characters, not a common password."),
    )
    password2 = forms.CharField(label=_("Password again"), widget=forms.PasswordInput, strip=False)
    preferred_language = forms.ChoiceField(label=_("Preferred language"), choices=settings.LANGUAGES, initial="id")
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=TIME_ZONE_CHOICES, initial="Asia/Jakarta")

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account with this e-mail address already exists."))
        return email

    def clean_display_name(self):
        name = self.cleaned_data["display_name"].strip()
        if not name:
            raise forms.ValidationError(_("Please choose a display name."))
        return name

    def clean(self):
        cleaned = super().clean()
        p1, p2 = cleaned.get("password1"), cleaned.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords do not match."))
        elif p1:
            probe = User(email=cleaned.get("email", ""))
            try:
                password_validation.validate_password(p1, probe)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class ThrottledLoginForm(AuthenticationForm):
    """Login that refuses further attempts after repeated failures (counseling.services.login_is_throttled)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": _(
            "Too many failed sign-in attempts. Please wait 15 minutes and try again, or reset your password."
        ),
    }

    def clean(self):
        email = (self.cleaned_data.get("username") or "").strip().lower()
        ip = client_ip(self.request)
        if email and login_is_throttled(email=email, ip=ip):
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled")
        self.cleaned_data["username"] = email
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if email:
                login_failure_record(email=email, ip=ip)
            raise
        login_failures_clear(email=email, ip=ip)
        return cleaned


class AccountLanguageForm(forms.Form):
    """A counselor's or admin's own language (counseling.services.account_language_set)."""

    language = forms.ChoiceField(
        label=_("Language of your pages, alerts and e-mails"),
        # Each language in its own name, as in the switcher: found by the person who cannot read the other.
        choices=[(code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES],
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose English or Bahasa Indonesia."),
            "invalid_choice": _("Choose English or Bahasa Indonesia."),
        },
    )


def _language_choices():
    return [(code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES]


class AccountProfileForm(forms.Form):
    """The settings page's first form (counseling.services.account_profile_update). A client has all three fields;
    a counselor the time zone and language (their professional name is the one on their licence); an admin the
    language."""

    display_name = forms.CharField(
        label=_("Display name or pseudonym"),
        max_length=80,
        help_text=_("Your counselor sees this name. It does not have to be your real name."),
        error_messages={"required": _("Please choose a display name.")},
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=TIME_ZONE_CHOICES,
        help_text=_(
            "Times you book from now on are shown in this time zone; sessions already booked keep the time zone "
            "they were booked in."
        ),
        error_messages={"invalid_choice": _("Choose a time zone from the list.")},
    )
    language = forms.ChoiceField(
        label=_("Language of your pages and e-mails"),
        choices=_language_choices(),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose English or Bahasa Indonesia."),
            "invalid_choice": _("Choose English or Bahasa Indonesia."),
        },
    )

    def __init__(self, *args, user: User, **kwargs):
        profile = getattr(user, "client_profile", None) if user.is_client else None
        staff_profile = getattr(user, "counselor_profile", None) if user.is_counselor else None
        kwargs.setdefault(
            "initial",
            {
                "display_name": profile.display_name if profile else "",
                "time_zone": (profile or staff_profile).time_zone if (profile or staff_profile) else "",
                "language": (profile.preferred_language if profile else user.language) or settings.LANGUAGE_CODE,
            },
        )
        super().__init__(*args, **kwargs)
        if profile is None:
            del self.fields["display_name"]
        if profile is None and staff_profile is None:
            del self.fields["time_zone"]


class PasswordChangeForm(forms.Form):
    """A new password while signed in (counseling.services.account_password_change checks the current one)."""

    current_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("Type your current password.")},
    )
    new_password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters, not a common password."),
        error_messages={"required": _("Type a new password.")},
    )
    new_password2 = forms.CharField(
        label=_("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": _("Type the new password again.")},
    )

    def __init__(self, *args, user: User, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        p1, p2 = cleaned.get("new_password1"), cleaned.get("new_password2")
        if p1 and p2 and p1 != p2:
            self.add_error("new_password2", _("The two passwords do not match."))
        elif p1:
            try:
                password_validation.validate_password(p1, self.user)
            except forms.ValidationError as exc:
                self.add_error("new_password1", exc)
        return cleaned


class EmailChangeForm(forms.Form):
    """Another address (counseling.services.account_email_change_request sends the link that changes it)."""

    new_email = forms.EmailField(
        label=_("New e-mail address"),
        max_length=254,
        error_messages={"required": _("Type the new address."), "invalid": _("Enter a valid e-mail address.")},
    )
    email_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("Type your current password.")},
    )
