"""Forms of intake and identity: they parse and validate; identity.services writes."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from counseling.clock import now
from counseling.parameters import BoundedDateField
from identity.places import COUNTRY_CHOICES, region_error
from identity.services import is_minor, minor_policy_error

TEXT_AREA = {"rows": 3}


class IntakeForm(forms.Form):
    legal_name = forms.CharField(
        label=_("Legal name"),
        max_length=160,
        help_text=_("As on your ID document. Counselors see your display name unless they need this."),
    )
    date_of_birth = BoundedDateField(label=_("Date of birth"), widget=forms.DateInput(attrs={"type": "date"}))
    phone = forms.CharField(
        label=_("Your phone number"),
        max_length=32,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    country = forms.ChoiceField(label=_("Country where you usually are"), choices=COUNTRY_CHOICES)
    region = forms.CharField(
        label=_("Province or state (optional)"),
        max_length=6,
        required=False,
        help_text=_("ISO 3166-2 code, for example ID-JK (Jakarta), ID-YO (Yogyakarta), US-TX (Texas)."),
    )

    emergency_contact_name = forms.CharField(label=_("Emergency contact: name"), max_length=160)
    emergency_contact_relation = forms.CharField(label=_("Emergency contact: relation to you"), max_length=80)
    emergency_contact_phone = forms.CharField(
        label=_("Emergency contact: phone"), max_length=32, widget=forms.TextInput(attrs={"type": "tel"})
    )
    emergency_contact_authorised = forms.BooleanField(
        label=_("I allow my counselor to contact this person if they believe my life or safety is in danger."),
        required=True,
    )
    connection_drop_plan = forms.CharField(
        label=_("If the connection drops during a session"),
        widget=forms.Textarea(attrs=TEXT_AREA),
        initial=_("I will try to reconnect for 5 minutes. If I cannot, my counselor will phone me on my number above."),
        help_text=_("What you and your counselor will do. Edit it if you want something else."),
    )
    other_providers = forms.CharField(
        label=_("Other doctors, psychologists or counselors you see (optional)"),
        required=False,
        widget=forms.Textarea(attrs=TEXT_AREA),
    )

    suitable_text = forms.BooleanField(
        label=_("I can write and read messages comfortably for 50 minutes."), required=False
    )
    suitable_private = forms.BooleanField(
        label=_("I can be somewhere private where nobody reads my screen during sessions."), required=False
    )
    suitable_language = forms.BooleanField(label=_("I can talk in Bahasa Indonesia or English."), required=False)

    guardian_name = forms.CharField(label=_("Parent or guardian: name"), max_length=160, required=False)
    guardian_contact = forms.CharField(label=_("Parent or guardian: phone or e-mail"), max_length=160, required=False)
    guardian_consent = forms.BooleanField(
        label=_("My parent or guardian knows about and agrees to my counseling here."), required=False
    )

    code_word = forms.CharField(
        label=_("Code word or phrase"),
        max_length=128,
        required=False,
        strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_(
            "Your counselor may ask you to type it at the start of a session, to be sure it is you. "
            "Choose something other than your account password: nobody here ever asks for your "
            "password. It is stored like a password: nobody can read it back."
        ),
    )
    code_word_again = forms.CharField(
        label=_("Code word again"),
        max_length=128,
        required=False,
        strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, code_word_required: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.code_word_required = code_word_required
        if not code_word_required:
            self.fields["code_word"].label = _("New code word (leave empty to keep yours)")

    def _bound(self, names: str) -> list:
        return [self[name] for name in names.split()]

    @property
    def about_fields(self):
        return self._bound("legal_name date_of_birth phone country region")

    @property
    def guardian_fields(self):
        return self._bound("guardian_name guardian_contact guardian_consent")

    @property
    def emergency_fields(self):
        return self._bound(
            "emergency_contact_name emergency_contact_relation emergency_contact_phone "
            "emergency_contact_authorised connection_drop_plan"
        )

    @property
    def suitability_fields(self):
        return self._bound("suitable_text suitable_private suitable_language other_providers")

    @property
    def code_word_fields(self):
        return self._bound("code_word code_word_again")

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        if born >= now().date() or born.year < 1900:
            raise forms.ValidationError(_("Please check your date of birth."))
        return born

    def clean_region(self):
        return self.cleaned_data["region"].strip().upper()

    def clean(self):
        data = super().clean()
        country, region = data.get("country"), data.get("region", "")
        if country and region_error(country=country, region=region):
            self.add_error("region", region_error(country=country, region=region))
        born = data.get("date_of_birth")
        if born and country:
            guardian = bool(data.get("guardian_consent") and data.get("guardian_name") and data.get("guardian_contact"))
            error = minor_policy_error(born=born, country=country, guardian_consent=guardian)
            if error:
                self.add_error(
                    "guardian_consent" if settings.MINOR_POLICY == "guardian_consent" else "date_of_birth", error
                )
        word, again = data.get("code_word", ""), data.get("code_word_again", "")
        if word or again or self.code_word_required:
            if len(word) < 4:
                self.add_error("code_word", _("Choose a code word of at least 4 characters."))
            elif word != again:
                self.add_error("code_word_again", _("The two code words differ."))
        return data

    def answers(self) -> dict:
        data = self.cleaned_data
        answers = {
            key: data.get(key, "")
            for key in (
                "legal_name",
                "phone",
                "country",
                "region",
                "emergency_contact_name",
                "emergency_contact_relation",
                "emergency_contact_phone",
                "other_providers",
                "connection_drop_plan",
            )
        }
        answers["date_of_birth"] = data["date_of_birth"].isoformat()
        for key in ("suitable_text", "suitable_private", "suitable_language"):
            answers[key] = bool(data.get(key))
        if is_minor(born=data["date_of_birth"], country=data["country"]):
            answers["guardian_name"] = data.get("guardian_name", "")
            answers["guardian_contact"] = data.get("guardian_contact", "")
        return answers

    @classmethod
    def initial_from(cls, answers: dict) -> dict:
        initial = {key: value for key, value in answers.items() if key != "date_of_birth"}
        if answers.get("date_of_birth"):
            initial["date_of_birth"] = answers["date_of_birth"]
        initial["emergency_contact_authorised"] = True
        initial["guardian_consent"] = bool(answers.get("guardian_name"))
        return initial


class IdentityDocumentForm(forms.Form):
    document = forms.FileField(
        label=_("ID document (KTP, passport, driving licence)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".jpg,.jpeg,.png,.pdf"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document"].help_text = _("A photo (JPEG or PNG) or a PDF, at most %(mb)s MB.") % {
            "mb": settings.IDENTITY_DOCUMENT_MAX_BYTES // (1024 * 1024)
        }


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("verify", _("Verify")), ("reject", _("Reject"))], widget=forms.RadioSelect, label=_("Decision")
    )
    reason = forms.CharField(
        label=_("Reason (shown to the client if rejected)"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not data.get("reason", "").strip():
            self.add_error("reason", _("Say why the document is rejected; the client will see it."))
        return data


class LocationForm(forms.Form):
    country = forms.ChoiceField(label=_("Country where you are now"), choices=COUNTRY_CHOICES)
    region = forms.CharField(
        label=_("Province or state (optional)"),
        max_length=6,
        required=False,
        help_text=_("ISO 3166-2 code, for example ID-JK (Jakarta) or US-TX (Texas)."),
    )
    # Optional, and only for an emergency: the people who answer an emergency alert see it, nobody else.
    landmark = forms.CharField(
        label=_("Address or landmark (optional)"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
        help_text=_(
            "Where exactly you are, if you want us to be able to send help to you: for example, Jl. Malioboro 12, "
            "near the mosque. Only the people who answer an emergency alert of yours see it, to tell emergency "
            "services where you are. You may leave it empty."
        ),
    )

    def clean(self):
        data = super().clean()
        region = data.get("region", "").strip().upper()
        data["region"] = region
        if data.get("country") and region_error(country=data["country"], region=region):
            self.add_error("region", region_error(country=data["country"], region=region))
        return data


class CodeWordAnswerForm(forms.Form):
    attempt = forms.CharField(
        label=_("Your code word"), max_length=128, widget=forms.PasswordInput(attrs={"autocomplete": "off"})
    )
