from django import forms
from django.utils.translation import gettext_lazy as _

from counseling.parameters import BoundedDateTimeField

_MOMENT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _words(value: str) -> list[str]:
    return [word.strip() for word in value.replace("\n", ",").split(",") if word.strip()]


class IncidentOpenForm(forms.Form):
    detected_at = BoundedDateTimeField(label=_("When it was detected"), widget=_MOMENT)
    occurred_at = BoundedDateTimeField(label=_("When it happened (if known)"), widget=_MOMENT, required=False)
    summary = forms.CharField(
        label=_("What happened"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("How the data was exposed, in words a client understands. No client's name or content."),
    )
    data_involved = forms.CharField(label=_("What data was exposed"), widget=forms.Textarea(attrs={"rows": 3}))
    measures = forms.CharField(label=_("What we did and are doing"), widget=forms.Textarea(attrs={"rows": 3}))
    client_steps = forms.CharField(label=_("What clients can do"), widget=forms.Textarea(attrs={"rows": 3}))
    contact = forms.CharField(label=_("Whom to contact"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class AffectedSearchForm(forms.Form):
    window_start = BoundedDateTimeField(label=_("From"), widget=_MOMENT)
    window_end = BoundedDateTimeField(label=_("Until"), widget=_MOMENT)
    actions = forms.CharField(
        label=_("Audit actions (optional)"),
        required=False,
        help_text=_("Comma-separated, for example transcript.export, identity_document.viewed. Empty: every action."),
    )
    target_types = forms.CharField(
        label=_("Kinds of record (optional)"),
        required=False,
        help_text=_("Comma-separated, for example counseling_sessions.message. Empty: every kind."),
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("window_start"), data.get("window_end")
        if start and end and end < start:
            raise forms.ValidationError(_("The window ends before it starts."))
        data["actions"] = _words(data.get("actions", ""))
        data["target_types"] = _words(data.get("target_types", ""))
        return data


class AffectedConfirmForm(AffectedSearchForm):
    client_ids = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean_client_ids(self):
        try:
            return [int(value) for value in _words(self.cleaned_data.get("client_ids", ""))]
        except ValueError as error:
            raise forms.ValidationError(_("Search again and check the list.")) from error


class ClientNoticeForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 18}))


class AuthorityNoticeForm(forms.Form):
    authority = forms.CharField(label=_("Authority"), max_length=300)
    body = forms.CharField(label=_("Text of the notice"), widget=forms.Textarea(attrs={"rows": 18}))
    channel = forms.CharField(
        label=_("How it was sent"),
        max_length=300,
        help_text=_("For example the portal, the e-mail address or the letter's registered post number."),
    )
    reference = forms.CharField(label=_("Reference (optional)"), max_length=200, required=False)
    sent_at = BoundedDateTimeField(label=_("When it was sent"), widget=_MOMENT)
