"""Admin of escalation: phrase lists and the on-call roster. Escalations are read-only here: they change
only through crisis.services, which writes the audit log."""

from django.contrib import admin

from counseling.admin import ReadOnlyAdmin
from crisis.models import Escalation, OnCallShift, RiskPhrase


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


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdmin):
    list_display = ["pk", "kind", "severity", "state", "rung", "created_at", "next_step_at"]
    list_filter = ["state", "kind", "severity"]
    exclude = ["message"]
