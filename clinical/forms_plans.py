from django import forms
from django.utils.translation import gettext_lazy as _

from clinical.models import GoalStatus
from clinical.services_plans import GOAL_MAX_CHARS, REVIEW_MAX_WEEKS


class GoalAddForm(forms.Form):
    text = forms.CharField(label=_("Goal"), widget=forms.Textarea(attrs={"rows": 3}), max_length=GOAL_MAX_CHARS)
    target_date = forms.DateField(
        label=_("Target date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class GoalUpdateForm(forms.Form):
    goal = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(label=_("Status"), choices=GoalStatus.choices)
    target_date = forms.DateField(
        label=_("Target date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    text = forms.CharField(
        label=_("Revised goal"),
        required=False,
        max_length=GOAL_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Leave empty to keep the goal's words."),
    )


class PlanReviewForm(forms.Form):
    every_weeks = forms.IntegerField(label=_("Next review in (weeks)"), min_value=1, max_value=REVIEW_MAX_WEEKS)


class PlanShareForm(forms.Form):
    shared = forms.BooleanField(label=_("Share the plan with the client"), required=False)
