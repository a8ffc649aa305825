"""Admin of escalation and retention: phrase lists, on-call roster, retention rules, legal holds.

Escalations, their timelines, tombstones and erasure requests are read-only here: they change only
through the services, which write the audit log.
"""

from django.contrib import admin

from counseling.admin import ReadOnlyAdmin
from counseling.models import (
    ErasureRequest,
    Escalation,
    LegalHold,
    OnCallShift,
    RetentionRule,
    RetentionTombstone,
    RiskPhrase,
)


@admin.register(RiskPhrase)
class RiskPhraseAdmin(admin.ModelAdmin):
    list_display = ["phrase", "language", "severity", "is_active"]
    list_filter = ["language", "severity", "is_active"]
    list_editable = ["severity", "is_active"]
    search_fields = ["phrase"]


@admin.register(OnCallShift)
class OnCallShiftAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "starts_at", "ends_at"]
    list_filter = ["role"]
    date_hierarchy = "starts_at"


@admin.register(RetentionRule)
class RetentionRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "country", "region", "years_after_last_contact", "age_of_majority",
                    "years_after_majority", "is_active"]
    list_filter = ["country", "is_active"]


@admin.register(LegalHold)
class LegalHoldAdmin(admin.ModelAdmin):
    list_display = ["client", "reason", "placed_at", "released_at"]
    list_filter = ["released_at"]
    raw_id_fields = ["client"]
    readonly_fields = ["placed_by", "placed_at"]

    def save_model(self, request, obj, form, change):
        from counseling.audit import audit_record

        if not change:
            obj.placed_by = request.user
        super().save_model(request, obj, form, change)
        action = "retention.hold_released" if obj.released_at else "retention.hold_placed"
        audit_record(actor=request.user, action=action, target=obj, subject=obj.client_id, request=request)


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdmin):
    list_display = ["pk", "kind", "severity", "state", "rung", "created_at", "next_step_at"]
    list_filter = ["state", "kind", "severity"]
    exclude = ["message"]


@admin.register(RetentionTombstone)
class RetentionTombstoneAdmin(ReadOnlyAdmin):
    list_display = ["subject_id", "destroyed_at", "destroyed_by", "rule", "purged_at"]


@admin.register(ErasureRequest)
class ErasureRequestAdmin(ReadOnlyAdmin):
    list_display = ["pk", "subject_id", "requested_at", "decision", "keep_until", "answered_at"]
