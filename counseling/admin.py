from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from counseling.models import AuditEntry, ClientProfile, CounselorProfile, DataKey, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "role", "is_active", "date_joined"]
    list_filter = ["role", "is_active"]
    search_fields = ["email"]
    fieldsets = [
        (None, {"fields": ["email", "password", "role"]}),
        ("Status", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "role", "password1", "password2"]})]
    filter_horizontal = ["groups"]


@admin.register(CounselorProfile)
class CounselorProfileAdmin(admin.ModelAdmin):
    list_display = ["display_name", "professional_title", "practice_country", "caseload_limit"]


@admin.register(ClientProfile)
class ClientProfileAdmin(admin.ModelAdmin):
    list_display = ["display_name", "preferred_language", "time_zone"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["sequence", "at", "actor_label", "action", "target_type", "target_id", "ip_address"]
    list_filter = ["action"]
    search_fields = ["actor_label", "target_id", "action"]


@admin.register(DataKey)
class DataKeyAdmin(ReadOnlyAdmin):
    list_display = ["owner", "kek_id", "created_at", "rewrapped_at", "destroyed_at"]
    exclude = ["wrapped_key"]
