"""Admin of records: retention rules and legal holds. Tombstones and erasure requests are read-only here:
they change only through records.services, which writes the audit log."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from counseling.admin import ReadOnlyAdmin
from records.models import ErasureRequest, LegalHold, RetentionRule, RetentionTombstone
from records.services import LegalHoldError, legal_hold_place, legal_hold_release


@admin.register(RetentionRule)
class RetentionRuleAdmin(admin.ModelAdmin):
    """Each rule shows its legal source (required), so whoever re-checks the law sees what a rule rests on."""

    list_display = [
        "name",
        "country",
        "region",
        "years_after_last_contact",
        "age_of_majority",
        "years_after_majority",
        "citation",
        "is_active",
    ]
    list_filter = ["country", "is_active"]
    search_fields = ["name", "region", "citation"]


class LegalHoldReleaseForm(forms.ModelForm):
    """The change form of a hold: nothing of it changes but its release, which needs a reason."""

    class Meta:
        model = LegalHold
        fields = ["release_reason"]
        help_texts = {
            "release_reason": _(
                "A hold is never deleted. Write why it ends (at least 10 characters) and save to release it."
            )
        }

    def clean_release_reason(self):
        reason = self.cleaned_data.get("release_reason", "").strip()
        if reason and len(reason) < 10:
            raise forms.ValidationError(
                _("Say why the hold is released, in at least %(count)d characters."), params={"count": 10}
            )
        return reason


@admin.register(LegalHold)
class LegalHoldAdmin(admin.ModelAdmin):
    """Place a hold (client and reason), release it with a reason; never delete it (records.services)."""

    list_display = ["client", "reason", "placed_at", "released_at", "release_reason"]
    list_filter = ["released_at"]
    raw_id_fields = ["client"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            kwargs["form"] = LegalHoldReleaseForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["client", "reason"]
        return ["client", "reason", "placed_by", "placed_at", "released_at", "released_by", "release_reason"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        fixed = ["client", "reason", "placed_by", "placed_at", "released_at", "released_by"]
        return [*fixed, "release_reason"] if obj.released_at else fixed

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if not change:
            hold = legal_hold_place(client=obj.client, reason=obj.reason, placed_by=request.user, request=request)
            obj.pk, obj.placed_by, obj.placed_at = hold.pk, hold.placed_by, hold.placed_at
            obj._state.adding = False
            return
        reason = form.cleaned_data.get("release_reason", "")
        if reason and obj.released_at is None:
            try:
                legal_hold_release(hold=obj, reason=reason, released_by=request.user, request=request)
            except LegalHoldError as exc:
                # Released by someone else meanwhile: nothing to change, the page says so.
                self.message_user(request, str(exc), level="warning")


@admin.register(RetentionTombstone)
class RetentionTombstoneAdmin(ReadOnlyAdmin):
    list_display = ["subject_id", "destroyed_at", "destroyed_by", "rule", "purged_at"]


@admin.register(ErasureRequest)
class ErasureRequestAdmin(ReadOnlyAdmin):
    list_display = ["pk", "subject_id", "requested_at", "decision", "keep_until", "answered_at"]
