"""Admin of identity: the emergency numbers of each place, confirmed against their source before they are
shown (identity.numbers). Intakes, ID documents and code words are not shown: their content is sealed, and ID
documents are reviewed in the audited queue (/intake/review/)."""

from django import forms
from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from identity.models import EmergencyResource
from identity.numbers import emergency_number_save


def _https_by_default(db_field, **kwargs):
    if isinstance(db_field, models.URLField):
        kwargs["assume_scheme"] = "https"  # official pages are https; Django 6 makes it the default
    return db_field.formfield(**kwargs)


class EmergencyResourceForm(forms.ModelForm):
    confirmed = forms.BooleanField(
        label=_("I checked this number against its official source today"),
        required=False,
        help_text=_(
            "Only confirmed numbers are shown to clients. Changing the number, menu digit, channel, "
            "place or source takes it off the pages until someone confirms it again."
        ),
    )

    class Meta:
        model = EmergencyResource
        formfield_callback = _https_by_default
        fields = [
            "country",
            "region",
            "name",
            "number",
            "extension",
            "channel",
            "description",
            "hours",
            "sort_order",
            "is_active",
            "source_url",
        ]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("confirmed") and not cleaned.get("source_url"):
            self.add_error("source_url", _("Name the official page you checked the number against."))
        return cleaned


@admin.register(EmergencyResource)
class EmergencyResourceAdmin(admin.ModelAdmin):
    form = EmergencyResourceForm
    list_display = [
        "country",
        "region",
        "name",
        "number",
        "extension",
        "channel",
        "sort_order",
        "is_active",
        "checked_on",
        "source_url",
    ]
    list_filter = ["country", "is_active", "checked_on"]
    list_editable = ["sort_order", "is_active"]
    search_fields = ["name", "number", "country", "region"]
    ordering = ["country", "region", "sort_order"]
    readonly_fields = ["checked_on", "checked_by"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.URLField):
            kwargs["assume_scheme"] = "https"
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        emergency_number_save(
            resource=obj,
            changed_fields=list(form.changed_data),
            confirmed=form.cleaned_data.get("confirmed", False),
            actor=request.user,
            request=request,
        )
