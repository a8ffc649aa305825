"""Django admin for consent: published versions and every acceptance are read-only here too.

Publishing (with its diff), the list of who accepted, and exports live in the app's own staff
pages (consent:manage), which write the audit log.
"""

from django.contrib import admin

from consent.models import ConsentAcceptance, ConsentSection, ConsentVersion


class ConsentSectionInline(admin.StackedInline):
    model = ConsentSection
    extra = 0
    fields = ["key", "position", "title", "body"]
    readonly_fields = ["key", "position"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return obj is None or not obj.is_published


@admin.register(ConsentVersion)
class ConsentVersionAdmin(admin.ModelAdmin):
    list_display = ["language", "number", "status", "effective_at", "published_at"]
    list_filter = ["language", "status"]
    fields = ["language", "number", "status", "effective_at", "change_summary", "published_at", "published_by"]
    readonly_fields = ["language", "number", "status", "published_at", "published_by"]
    inlines = [ConsentSectionInline]

    def has_add_permission(self, request):
        # New versions start in the app (consent:manage) as a copy of the newest text, with all sections.
        return False

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_published:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_published:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(ConsentAcceptance)
class ConsentAcceptanceAdmin(admin.ModelAdmin):
    list_display = ["client", "version", "counselor", "language", "accepted_at", "withdrawn_at"]
    list_filter = ["language", "version"]
    exclude = ["rendered_text"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
