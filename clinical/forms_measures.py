from django import forms
from django.utils.translation import gettext_lazy as _

from clinical.instruments import INSTRUMENT_CHOICES, INSTRUMENTS, LANGUAGES
from clinical.models import Cadence


class MeasureScheduleForm(forms.Form):
    instrument = forms.ChoiceField(label=_("Measure"), choices=INSTRUMENT_CHOICES)
    cadence = forms.ChoiceField(label=_("How often"), choices=Cadence.choices)
    every_weeks = forms.IntegerField(
        label=_("Every how many weeks"),
        required=False,
        min_value=1,
        max_value=52,
        help_text=_('Only for "every N weeks".'),
    )
    active = forms.BooleanField(label=_("Ask the client"), required=False, initial=True)

    def clean(self):
        data = super().clean()
        if data.get("cadence") == Cadence.EVERY_N_WEEKS and not data.get("every_weeks"):
            self.add_error("every_weeks", _("Say every how many weeks (1 to 52)."))
        return data


class MeasureResponseForm(forms.Form):
    """One radio group per item, in the wording the client reads (the instrument's own, never re-translated)."""

    wording = forms.ChoiceField(choices=[(code, code) for code in LANGUAGES], widget=forms.HiddenInput)

    def __init__(self, *args, instrument: str, wording: str, **kwargs):
        super().__init__(*args, **kwargs)
        spec = INSTRUMENTS[instrument]
        self.wording_code = spec.wording(wording)
        self.fields["wording"].initial = self.wording_code
        options = spec.options[self.wording_code]
        for number, text in enumerate(spec.items[self.wording_code], start=1):
            self.fields[f"item_{number}"] = forms.TypedChoiceField(
                label=text,
                choices=[(value, option) for value, option in enumerate(options)],
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": _("Choose one answer for this question.")},
            )
        self.item_count = len(spec.items[self.wording_code])

    def items(self):
        return [self[f"item_{n}"] for n in range(1, self.item_count + 1)]

    def answers(self) -> list[int]:
        return [self.cleaned_data[f"item_{n}"] for n in range(1, self.item_count + 1)]
