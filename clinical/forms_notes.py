"""Forms of the progress notes, supervision and the client's access to their record."""

from django import forms
from django.utils.translation import gettext_lazy as _

from clinical.models.notes import NOTE_SECTIONS, NoteStructure
from clinical.notes import NOTE_SECTION_MAX_CHARS
from counseling.models import Role, User


class NoteForm(forms.Form):
    """The draft: its structure and one text box per section of that structure."""

    structure = forms.ChoiceField(label=_("Structure"), choices=NoteStructure.choices, widget=forms.HiddenInput)

    def __init__(self, *args, structure: str, **kwargs):
        super().__init__(*args, **kwargs)
        if structure not in NOTE_SECTIONS:
            structure = NoteStructure.SOAP
        self.structure = structure
        self.initial.setdefault("structure", structure)
        for key, label in NOTE_SECTIONS[structure]:
            self.fields[f"section_{key}"] = forms.CharField(
                label=label,
                required=False,
                max_length=NOTE_SECTION_MAX_CHARS,
                widget=forms.Textarea(attrs={"rows": 5 if structure != NoteStructure.FREE else 14}),
            )

    def sections(self) -> dict[str, str]:
        return {key: self.cleaned_data.get(f"section_{key}", "") for key, _label in NOTE_SECTIONS[self.structure]}


class AddendumForm(forms.Form):
    text = forms.CharField(
        label=_("Addendum"),
        max_length=NOTE_SECTION_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("A signed note is locked. What you add here is kept beside it with its time and your name."),
    )


class SupervisionForm(forms.Form):
    supervisee = forms.ModelChoiceField(label=_("Counselor"), queryset=User.objects.none())
    supervisor = forms.ModelChoiceField(label=_("Supervisor"), queryset=User.objects.none(), required=False)
    in_training = forms.BooleanField(label=_("In training (notes need the supervisor's co-signature)"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        counselors = User.objects.filter(role=Role.COUNSELOR).select_related("counselor_profile").order_by("email")
        self.fields["supervisee"].queryset = counselors
        self.fields["supervisor"].queryset = counselors
        for name in ("supervisee", "supervisor"):
            self.fields[name].label_from_instance = lambda user: f"{user.display_name} ({user.email})"


class RecordRequestForm(forms.Form):
    counselor = forms.ModelChoiceField(label=_("Counselor"), queryset=User.objects.none(), empty_label=None)

    def __init__(self, *args, counselors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["counselor"].queryset = counselors
        self.fields["counselor"].label_from_instance = lambda user: user.display_name
