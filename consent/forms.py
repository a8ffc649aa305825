from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from consent.models import ELEMENT_TITLES, ELEMENTS, ConsentVersion
from counseling.parameters import BoundedDateTimeField


class ConsentAcceptForm(forms.Form):
    """The onboarding form: every section acknowledged, and the fingerprint of the text that was shown."""

    acknowledged = forms.MultipleChoiceField(choices=ELEMENTS, required=True)
    version = forms.IntegerField(widget=forms.HiddenInput)
    text_sha256 = forms.RegexField(regex=r"^[0-9a-f]{64}$", widget=forms.HiddenInput)
    counselor = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def clean_acknowledged(self):
        acknowledged = self.cleaned_data["acknowledged"]
        if set(acknowledged) != set(ELEMENT_TITLES):
            raise forms.ValidationError(_("Please confirm that you have read every section."))
        return acknowledged


class ConsentDraftForm(forms.Form):
    """An admin's edit of a draft: effective date, summary, and a title and text per required element."""

    effective_at = BoundedDateTimeField(
        label=_("In force from (UTC)"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("A date in the past means: from the moment it is published."),
    )
    change_summary = forms.CharField(label=_("What changed"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, version: ConsentVersion, **kwargs):
        super().__init__(*args, **kwargs)
        self.section_keys = []
        for section in version.sections.all().order_by("position"):
            self.section_keys.append(section.key)
            self.fields[f"title_{section.key}"] = forms.CharField(
                label=_("Title: %(element)s") % {"element": ELEMENT_TITLES[section.key]},
                initial=section.title,
                required=False,
                max_length=200,
            )
            # Empty is allowed while drafting; publishing refuses it (consent_version_publish).
            self.fields[f"body_{section.key}"] = forms.CharField(
                label=_("Text: %(element)s") % {"element": ELEMENT_TITLES[section.key]},
                initial=section.body,
                required=False,
                widget=forms.Textarea(attrs={"rows": 6}),
            )

    def sections(self) -> dict[str, dict[str, str]]:
        return {
            key: {"title": self.cleaned_data.get(f"title_{key}", ""), "body": self.cleaned_data.get(f"body_{key}", "")}
            for key in self.section_keys
        }


class NewDraftForm(forms.Form):
    language = forms.ChoiceField(label=_("Language of the new version"), choices=settings.LANGUAGES)


class ClientLookupForm(forms.Form):
    email = forms.EmailField(label=_("Client's e-mail address"))
    format = forms.ChoiceField(label=_("Format"), choices=[("json", "JSON"), ("csv", "CSV")], initial="json")
