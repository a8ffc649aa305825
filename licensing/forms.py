from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from counseling.clock import now
from counseling.parameters import BoundedDateField, BoundedDateTimeField
from licensing.models import IssuingBody, Jurisdiction, LicenceKind, PracticeAgreement
from licensing.services import MAX_EVIDENCE_BYTES, LicenceError, evidence_check


class DateInput(forms.DateInput):
    input_type = "date"


class JurisdictionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.code})"


class LicenceSubmitForm(forms.Form):
    issuing_body = forms.ModelChoiceField(
        label=_("Issuing body"),
        queryset=IssuingBody.objects.all(),
        help_text=_("Missing? Ask an admin to add it, with its public register."),
    )
    kind = forms.ChoiceField(label=_("Kind of licence"), choices=LicenceKind.choices)
    number = forms.CharField(label=_("Licence number"), max_length=80)
    jurisdiction = JurisdictionChoiceField(
        label=_("Where it allows you to practise"),
        queryset=Jurisdiction.objects.all(),
        help_text=_("Choose the country if the licence is valid nationwide, the region if only there."),
    )
    scope = forms.CharField(
        label=_("Scope of practice"),
        max_length=300,
        required=False,
        help_text=_("As written on the licence, e.g. clinical psychology services."),
    )
    valid_from = BoundedDateField(label=_("Valid from"), widget=DateInput)
    expires_on = BoundedDateField(
        label=_("Expires on"), widget=DateInput, help_text=_("The last day the licence is valid.")
    )
    evidence = forms.FileField(
        label=_("Scan or PDF of the licence"),
        help_text=_("PDF, PNG or JPEG, at most 5 MB. Stored encrypted; only admins checking your licence can open it."),
    )

    def clean_evidence(self):
        upload = self.cleaned_data["evidence"]
        if upload.size > MAX_EVIDENCE_BYTES:
            raise forms.ValidationError(_("The document is larger than 5 MB."))
        data = upload.read()
        try:
            evidence_check(data=data, name=upload.name)
        except LicenceError as refused:
            raise forms.ValidationError(str(refused)) from refused
        self.evidence_bytes = data
        return upload

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("valid_from"), cleaned.get("expires_on")
        if start and end and end < start:
            self.add_error("expires_on", _("The expiry date must be after the start date."))
        return cleaned


class VerificationForm(forms.Form):
    DECISIONS = [
        ("verify", _("Verify: the register confirms this licence")),
        ("reject", _("Reject: the register does not confirm it")),
    ]

    registry_reference = forms.CharField(
        label=_("Register reference or link checked"),
        max_length=300,
        help_text=_("The page or record you looked at on the issuing body's register."),
    )
    registry_finding = forms.CharField(
        label=_("What the register said"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Name, number, status and dates as shown there."),
    )
    checked_at = BoundedDateTimeField(
        label=_("When you checked (UTC)"),
        initial=now,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"],
    )
    decision = forms.ChoiceField(label=_("Decision"), choices=[("", _("Choose…")), *DECISIONS])
    reason = forms.CharField(
        label=_("Reason (required to reject; shown to the counselor)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "reject" and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", _("Say why the licence is rejected."))
        return cleaned


class StateChangeForm(forms.Form):
    ACTIONS = [("suspend", _("Suspend")), ("revoke", _("Revoke")), ("reinstate", _("Reinstate"))]

    action = forms.ChoiceField(label=_("Change"), choices=ACTIONS)
    reason = forms.CharField(label=_("Reason (kept in the audit log)"), max_length=500)


class PrivilegeForm(forms.Form):
    agreement = forms.ModelChoiceField(label=_("Practice agreement"), queryset=PracticeAgreement.objects.all())
    jurisdiction = JurisdictionChoiceField(
        label=_("Privilege to practise in"), queryset=Jurisdiction.objects.exclude(region="")
    )
    privilege_number = forms.CharField(label=_("Privilege number"), max_length=80, required=False)


class LocationForm(forms.Form):
    """Where the client is right now (the directory's location choice)."""

    place = forms.ChoiceField(label=_("Where are you now?"), required=False)

    def __init__(self, *args, jurisdictions: list | None = None, **kwargs):
        """`jurisdictions`: every jurisdiction, when the view has read them already (jurisdiction_table; else read
        here)."""
        super().__init__(*args, **kwargs)
        choices = [("", _("Choose your location"))]
        for jurisdiction in Jurisdiction.objects.all() if jurisdictions is None else jurisdictions:
            label = jurisdiction.name if not jurisdiction.region else f"{jurisdiction.name} ({jurisdiction.code})"
            choices.append((jurisdiction.code, label))
        self.fields["place"].choices = choices


FREE_WITHIN_CHOICES = [
    ("", _("Any time")),
    ("3", _("Within 3 days")),
    ("7", _("Within a week")),
    ("14", _("Within two weeks")),
]


class DirectoryFilterForm(forms.Form):
    """The directory's filters: a language the counselor speaks, a speciality they name, a free time soon."""

    language = forms.ChoiceField(label=_("Language of the sessions"), required=False)
    speciality = forms.ChoiceField(label=_("Speciality"), required=False)
    free_within = forms.ChoiceField(label=_("Next free time"), required=False, choices=FREE_WITHIN_CHOICES)

    def __init__(self, *args, specialities: list[str] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("Any language")), *settings.LANGUAGES]
        self.fields["speciality"].choices = [("", _("Any speciality")), *((s, s) for s in specialities)]

    def filters(self) -> dict:
        """The chosen filters (none for an invalid form: the whole directory is shown, with the form's errors)."""
        if not self.is_valid():
            return {"language": "", "speciality": "", "within_days": 0}
        data = self.cleaned_data
        return {
            "language": data["language"],
            "speciality": data["speciality"],
            "within_days": int(data["free_within"] or 0),
        }
