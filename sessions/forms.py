"""Forms of the sessions app: availability, booking, cancelling, referrals."""

from datetime import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from counseling.parameters import BoundedDateField, instant_parse
from sessions.models import AvailabilityException, DropAction, SessionMedium, Weekday

CLIENT_CANCEL_REASONS = ("schedule_conflict", "unwell", "no_longer_needed", "other")
COUNSELOR_CANCEL_REASONS = ("counselor_unavailable", "schedule_conflict", "unwell", "other")


class TimeInput(forms.TimeInput):
    input_type = "time"


class DateInput(forms.DateInput):
    input_type = "date"


class WeeklyAvailabilityForm(forms.Form):
    weekday = forms.TypedChoiceField(label=_("Day of the week"), choices=Weekday.choices, coerce=int)
    start_time = forms.TimeField(label=_("From"), widget=TimeInput)
    end_time = forms.TimeField(label=_("Until"), widget=TimeInput)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("start_time") and cleaned.get("end_time") and cleaned["end_time"] <= cleaned["start_time"]:
            raise forms.ValidationError(_("The end must be after the start."))
        return cleaned


class AvailabilityExceptionForm(forms.Form):
    date = BoundedDateField(label=_("Date"), widget=DateInput)
    kind = forms.ChoiceField(label=_("Kind"), choices=AvailabilityException.Kind.choices)
    start_time = forms.TimeField(
        label=_("From"),
        required=False,
        widget=TimeInput,
        help_text=_("Leave both times empty to take the whole day off."),
    )
    end_time = forms.TimeField(label=_("Until"), required=False, widget=TimeInput)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_time"), cleaned.get("end_time")
        if (start is None) != (end is None):
            raise forms.ValidationError(_("Give both times, or neither."))
        if start is None and cleaned.get("kind") == AvailabilityException.Kind.EXTRA:
            raise forms.ValidationError(_("Extra hours need a start and an end."))
        if start is not None and end <= start:
            raise forms.ValidationError(_("The end must be after the start."))
        return cleaned


class SlotForm(forms.Form):
    """The chosen slot's start, as the UTC instant the page offered (ISO 8601)."""

    starts_at = forms.CharField(widget=forms.HiddenInput)

    def clean_starts_at(self) -> datetime:
        value = instant_parse(self.cleaned_data["starts_at"])
        if value is None:  # not a moment with its offset, or one far outside any bookable range
            raise forms.ValidationError(_("Please choose a time from the list."))
        return value


class MediumForm(forms.Form):
    """How the session is held: video, voice or chat (at booking, and on the session page until the start)."""

    medium = forms.ChoiceField(
        label=_("How do you want to meet?"),
        choices=SessionMedium.choices,
        initial=SessionMedium.CHAT,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Please choose video, voice or chat."),
            "invalid_choice": _("Please choose video, voice or chat."),
        },
    )


class CancelForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), widget=forms.RadioSelect)

    def __init__(self, *args, reasons: dict, codes: tuple[str, ...], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = [(code, reasons[code]) for code in codes]
        self.fields["reason"].initial = codes[0]


class CounselorRescheduleForm(forms.Form):
    """The counselor picks one of their free times and the reason the client is told."""

    starts_at = forms.ChoiceField(label=_("New time"))
    reason = forms.ChoiceField(
        label=_("Reason (the client is told)"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Please choose a reason.")},
    )

    def __init__(self, *args, slots: list[tuple[str, str]], reasons: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["starts_at"].choices = slots
        self.fields["reason"].choices = [(code, reasons[code]) for code in COUNSELOR_CANCEL_REASONS]

    def clean_starts_at(self) -> datetime:
        value = instant_parse(self.cleaned_data["starts_at"])
        if value is None:
            raise forms.ValidationError(_("Please choose a time from the list."))
        return value


class ReferralForm(forms.Form):
    destination = forms.CharField(label=_("Referred to (service, place, contact)"), max_length=500)
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))


class DeclineForm(forms.Form):
    """The counselor declines a request: a reason code (the client is told it kindly), and optionally a referral."""

    reason = forms.ChoiceField(
        label=_("Reason (the client is told it kindly)"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Please choose a reason.")},
    )
    referral_destination = forms.CharField(
        label=_("Refer to (service, place, contact), optional"), max_length=500, required=False
    )
    referral_reason = forms.CharField(
        label=_("Why this referral (the client sees it)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, reasons: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = list(reasons.items())


class SuitabilityOverrideForm(forms.Form):
    reason = forms.CharField(
        label=_("Why text counseling may go on although the screen did not pass"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Write down why text counseling may go on although the screen did not pass.")},
    )


class CaseloadFilterForm(forms.Form):
    FILTERS = (
        ("", _("All clients")),
        ("upcoming", _("With an upcoming session")),
        ("unread", _("With unread messages")),
        ("risk", _("With open risk flags")),
    )
    q = forms.CharField(label=_("Search by name"), required=False, max_length=80)
    show = forms.ChoiceField(label=_("Show"), choices=FILTERS, required=False)


class SessionDropForm(forms.Form):
    """What the counselor did when the client's connection dropped during a session (sessions.chat.drops)."""

    actions = forms.MultipleChoiceField(
        label=_("What did you do?"),
        choices=DropAction.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one thing you did.")},
    )
    note = forms.CharField(
        label=_("Note (optional; kept encrypted with the client's records)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
