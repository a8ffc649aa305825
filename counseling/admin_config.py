"""The admin app's config, apart from counseling.admin_site: INSTALLED_APPS loads it before any model,
and the site it names imports the second-factor rules, which need the models."""

from django.contrib.admin.apps import AdminConfig


class VerifiedAdminConfig(AdminConfig):
    default_site = "counseling.admin_site.VerifiedAdminSite"
