"""Admin of records: retention rules and legal holds. Tombstones and erasure requests are read-only here:
they change only through records.services, which writes the audit log."""

from django.contrib import admin

from counseling.admin import ReadOnlyAdmin
from counseling.audit import audit_record
from records.models import ErasureRequest, LegalHold, RetentionRule, RetentionTombstone


@admin.register(RetentionRule)
class RetentionRuleAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "country",
        "region",
        "years_after_last_contact",
        "age_of_majority",
        "years_after_majority",
        "is_active",
    ]
    list_filter = ["country", "is_active"]


@admin.register(LegalHold)
class LegalHoldAdmin(admin.ModelAdmin):
    list_display = ["client", "reason", "placed_at", "released_at"]
    list_filter = ["released_at"]
    raw_id_fields = ["client"]
    readonly_fields = ["placed_by", "placed_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.placed_by = request.user
        super().save_model(request, obj, form, change)
        action = "retention.hold_released" if obj.released_at else "retention.hold_placed"
        audit_record(actor=request.user, action=action, target=obj, subject=obj.client_id, request=request)


@admin.register(RetentionTombstone)
class RetentionTombstoneAdmin(ReadOnlyAdmin):
    list_display = ["subject_id", "destroyed_at", "destroyed_by", "rule", "purged_at"]


@admin.register(ErasureRequest)
class ErasureRequestAdmin(ReadOnlyAdmin):
    list_display = ["pk", "subject_id", "requested_at", "decision", "keep_until", "answered_at"]
