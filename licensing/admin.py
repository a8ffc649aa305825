"""Admin-site views of the licensing data. Licence state changes go through the verification pages
(licensing.views), never through these forms, so that every change is audit-logged with who made it."""

from django.contrib import admin

from licensing.models import CompactPrivilege, IssuingBody, Jurisdiction, Licence, PracticeAgreement


@admin.register(Jurisdiction)
class JurisdictionAdmin(admin.ModelAdmin):
    list_display = ["name", "country", "region"]
    list_filter = ["country"]
    search_fields = ["name", "country", "region"]


@admin.register(IssuingBody)
class IssuingBodyAdmin(admin.ModelAdmin):
    list_display = ["name", "jurisdiction", "registry_url"]


@admin.register(PracticeAgreement)
class PracticeAgreementAdmin(admin.ModelAdmin):
    list_display = ["name", "licence_kinds", "url"]
    filter_horizontal = ["members"]


@admin.register(Licence)
class LicenceAdmin(admin.ModelAdmin):
    list_display = ["counselor", "kind", "number", "jurisdiction", "state", "expires_on"]
    list_filter = ["state", "kind"]
    readonly_fields = [f.name for f in Licence._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CompactPrivilege)
class CompactPrivilegeAdmin(admin.ModelAdmin):
    list_display = ["counselor", "jurisdiction", "agreement", "home_licence", "revoked_at"]
    readonly_fields = [f.name for f in CompactPrivilege._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
