from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from counseling.audit import client_ip
from counseling.models import COUNSELING_LANGUAGES, TIME_ZONE_CHOICES, User
from counseling.services import (
    PHOTO_MAX_BYTES,
    ProfileError,
    account_email_allowed,
    counselor_photo_clean,
    login_failure_record,
    login_failures_clear,
    login_is_throttled,
)


class PasswordPairMixin:
    """Two passwords that match and pass the validators (AUTH_PASSWORD_VALIDATORS)."""

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


class ClientSignUpForm(PasswordPairMixin, forms.Form):
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
        # Whether the address already has an account is never said here (counseling.services._sign_up).
        return self.cleaned_data["email"].strip().lower()

    def clean_display_name(self):
        name = self.cleaned_data["display_name"].strip()
        if not name:
            raise forms.ValidationError(_("Please choose a display name."))
        return name


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


class CounselorSignUpForm(PasswordPairMixin, forms.Form):
    """A counselor's application (counseling.services.counselor_sign_up): the account and what a profile needs
    first; licences and the rest of the profile come after the e-mail and the second factor."""

    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    display_name = forms.CharField(
        label=_("Professional name"), max_length=120, help_text=_("As clients will see it, e.g. Sari Wulandari, M.Psi.")
    )
    professional_title = forms.CharField(
        label=_("Professional title"), max_length=160, help_text=_("e.g. Clinical psychologist")
    )
    practice_location = forms.CharField(
        label=_("Physical location of practice"),
        max_length=200,
        help_text=_("City and country you practise from; clients are told where their counselor is."),
    )
    practice_country = forms.CharField(
        label=_("Country of practice (two letters, e.g. ID, US)"), min_length=2, max_length=2
    )
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=TIME_ZONE_CHOICES, initial="Asia/Jakarta")
    language = forms.ChoiceField(label=_("Language of your pages and e-mails"), choices=settings.LANGUAGES)
    password1 = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput,
        strip=False,
        help_text=_("At least 10 characters, not a common password."),
    )
    password2 = forms.CharField(label=_("Password again"), widget=forms.PasswordInput, strip=False)

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    def clean_practice_country(self):
        code = self.cleaned_data["practice_country"].strip().upper()
        if not (len(code) == 2 and code.isascii() and code.isalpha()):
            raise forms.ValidationError(_("Enter the two-letter country code, e.g. ID or US."))
        return code

    def clean_display_name(self):
        name = self.cleaned_data["display_name"].strip()
        if not name:
            raise forms.ValidationError(_("Please enter your professional name."))
        return name


class CounselorProfileForm(forms.Form):
    """What clients read about a counselor (counseling.services.counselor_profile_update)."""

    display_name = forms.CharField(label=_("Professional name"), max_length=120)
    professional_title = forms.CharField(label=_("Professional title"), max_length=160)
    bio = forms.CharField(
        label=_("About you"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Your training and experience, in a few sentences."),
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages you counsel in"),
        choices=COUNSELING_LANGUAGES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one language.")},
    )
    specialities = forms.CharField(
        label=_("Specialities"), max_length=300, help_text=_("Comma-separated, e.g. anxiety, grief, couples")
    )
    approach = forms.CharField(
        label=_("Your approach"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("How you work with clients, e.g. cognitive behavioural therapy, person-centred."),
    )
    practice_location = forms.CharField(label=_("Physical location of practice"), max_length=200)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=TIME_ZONE_CHOICES)
    photo = forms.FileField(
        label=_("Photo (optional)"),
        required=False,
        help_text=_(
            "JPEG or PNG, at most 5 MB. Shown on your public profile; its metadata (place, camera) is removed."
        ),
    )
    photo_remove = forms.BooleanField(label=_("Remove my photo"), required=False)

    def clean_specialities(self):
        items = [item.strip() for item in self.cleaned_data["specialities"].split(",") if item.strip()]
        if not items:
            raise forms.ValidationError(_("Name at least one speciality."))
        return ", ".join(items)

    def clean_languages(self):
        return ",".join(self.cleaned_data["languages"])

    def clean_photo(self):
        upload = self.cleaned_data.get("photo")
        self.photo_kept = None
        if not upload:
            return None
        if upload.size > PHOTO_MAX_BYTES:
            raise forms.ValidationError(_("The photo is larger than 5 MB."))
        try:
            self.photo_kept = counselor_photo_clean(name=upload.name, data=upload.read())
        except ProfileError as refused:
            raise forms.ValidationError(str(refused)) from refused
        return upload


class ThrottledPasswordResetForm(PasswordResetForm):
    """Django's reset form, writing to an account at most ACCOUNT_EMAIL_LIMIT times per window
    (counseling.services.account_email_allowed); the page answers alike either way. The per-address limit is the
    view's (counseling.views.PasswordResetView)."""

    def get_users(self, email):
        for user in super().get_users(email):
            if account_email_allowed(user=user):
                yield user
