"""Admin-site views of the licensing data. Licence state changes go through the verification pages
(licensing.views), never through these forms, so that every change is audit-logged with who made it."""

from django.contrib import admin
from django.db import models

from licensing.models import (
    CompactPrivilege,
    IssuingBody,
    Jurisdiction,
    Licence,
    PracticeAgreement,
    PracticeRule,
    RequiredCredential,
)
from licensing.services import practice_rule_change_record


@admin.register(Jurisdiction)
class JurisdictionAdmin(admin.ModelAdmin):
    list_display = ["name", "country", "region"]
    list_filter = ["country"]
    search_fields = ["name", "country", "region"]


# A register's or agreement's address typed without a scheme is taken as https:// (Django 6's default).
URL_FIELDS_ASSUME_HTTPS = {models.URLField: {"assume_scheme": "https"}}


@admin.register(IssuingBody)
class IssuingBodyAdmin(admin.ModelAdmin):
    list_display = ["name", "jurisdiction", "registry_url"]
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS


@admin.register(PracticeAgreement)
class PracticeAgreementAdmin(admin.ModelAdmin):
    list_display = ["name", "licence_kinds", "url"]
    filter_horizontal = ["members"]
    formfield_overrides = URL_FIELDS_ASSUME_HTTPS


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


class RequiredCredentialInline(admin.TabularInline):
    model = RequiredCredential
    extra = 1
    fields = ["position", "label", "licence_kinds", "anywhere_in_jurisdiction"]


@admin.register(PracticeRule)
class PracticeRuleAdmin(admin.ModelAdmin):
    """Which credentials a profession needs where. The jurisdiction gate reads these rows, so every change is
    audit-logged with the rule as it reads afterwards (licensing.services.practice_rule_change_record)."""

    list_display = ["profession", "jurisdiction", "checked_on", "is_active"]
    list_filter = ["is_active", "jurisdiction__country"]
    inlines = [RequiredCredentialInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        practice_rule_change_record(
            rule=form.instance, actor=request.user, action="changed" if change else "added", request=request
        )

    def delete_model(self, request, obj):
        practice_rule_change_record(rule=obj, actor=request.user, action="deleted", request=request)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for rule in queryset:
            self.delete_model(request, rule)
