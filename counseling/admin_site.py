"""The Django admin, behind the same second factor as every staff page, and in the audit log.

Every model registered on this site is wrapped in `AuditedAdminMixin` at registration, so a model added
later is audited without anyone remembering to: opening a list, an object, its history or its delete page
writes `admin.list_viewed` / `admin.viewed`, and every save or delete writes `admin.added`, `admin.changed`
(the names of the fields changed, never their values) or `admin.deleted`, with the client concerned as the
subject where there is one. The audit table's own pages are audited the same way.
"""

from django.contrib.admin import AdminSite, ModelAdmin
from django.contrib.admin.utils import unquote
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from counseling.audit import audit_record
from counseling.mfa import has_confirmed_device
from counseling.models import ClientProfile, User


def admin_subject_of(obj) -> int | None:
    """The client an admin page's object concerns, if any (the audit entry's subject)."""
    if isinstance(obj, User):
        return obj.pk if obj.is_client else None
    if isinstance(obj, ClientProfile):
        return obj.user_id
    for attribute in ("client_id", "subject_id"):
        value = getattr(obj, attribute, None)
        if isinstance(value, int):
            return value
    return None


class AuditedAdminMixin:
    """Writes an audit entry for each read and each change made through a ModelAdmin."""

    def _audit(self, request, action: str, obj=None, **detail):
        audit_record(
            actor=request.user,
            action=action,
            target=obj,
            target_type="" if obj is not None else self.model._meta.label_lower,
            subject=admin_subject_of(obj) if obj is not None else None,
            request=request,
            detail=detail or None,
        )

    def _audit_page(self, request, response, object_id, page: str):
        if request.method == "GET" and response.status_code == 200:
            obj = self.get_object(request, unquote(object_id))
            if obj is not None:
                self._audit(request, "admin.viewed", obj, page=page)
        return response

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        if request.method == "GET" and response.status_code == 200:
            self._audit(request, "admin.list_viewed", searched=bool(request.GET.get("q")))
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        return self._audit_page(request, response, object_id, "change")

    def history_view(self, request, object_id, extra_context=None):
        response = super().history_view(request, object_id, extra_context)
        return self._audit_page(request, response, object_id, "history")

    def delete_view(self, request, object_id, extra_context=None):
        response = super().delete_view(request, object_id, extra_context)
        return self._audit_page(request, response, object_id, "delete")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change:
            self._audit(request, "admin.changed", obj, fields=sorted(form.changed_data))
        else:
            self._audit(request, "admin.added", obj)

    def delete_model(self, request, obj):
        self._audit(request, "admin.deleted", obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self._audit(request, "admin.deleted", obj)
        super().delete_queryset(request, queryset)


class VerifiedAdminSite(AdminSite):
    """Admin pages need an admin account AND a second factor verified in this session."""

    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or ModelAdmin
        if not issubclass(admin_class, AuditedAdminMixin):
            admin_class = type(
                admin_class.__name__, (AuditedAdminMixin, admin_class), {"__module__": admin_class.__module__}
            )
        super().register(model_or_iterable, admin_class, **options)

    def has_permission(self, request):
        user = request.user
        return bool(super().has_permission(request) and user.is_admin and user.is_verified())

    def login(self, request, extra_context=None):
        # One sign-in page for the whole site (it has the login throttling), then the OTP step.
        next_url = request.GET.get("next") or reverse("admin:index")
        if not request.user.is_authenticated:
            return redirect(f"{reverse('login')}?{urlencode({'next': next_url})}")
        if request.user.is_admin and not request.user.is_verified():
            step = "mfa:verify" if has_confirmed_device(request.user) else "mfa:setup"
            return redirect(f"{reverse(step)}?{urlencode({'next': next_url})}")
        return super().login(request, extra_context)
