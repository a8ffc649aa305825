"""The project's URLs: each app's routes are included by name, so this module imports no app."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from counseling import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("i18n/setlang/", views.language_switch, name="set_language"),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/signup/counselor/", views.counselor_signup, name="counselor_signup"),
    path("accounts/signup/sent/", views.signup_sent, name="signup_sent"),
    path("accounts/verify-email/", views.email_verify_pending, name="email_verify_pending"),
    path("accounts/verify-email/<str:token>/", views.email_verify, name="email_verify"),
    path("accounts/profile/", views.counselor_profile_edit, name="counselor_profile_edit"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
    path("accounts/password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "accounts/reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"
    ),
    path("accounts/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("accounts/mfa/", include("counseling.mfa_urls")),
    path("accounts/language/", views.account_language, name="account_language"),
    path("accounts/settings/", views.account_settings, name="account_settings"),
    path("accounts/settings/password/", views.account_password, name="account_password"),
    path("accounts/settings/email/", views.account_email, name="account_email"),
    path("accounts/settings/email/confirm/<str:token>/", views.account_email_confirm, name="account_email_confirm"),
    path("accounts/settings/sign-out-everywhere/", views.account_sign_out_all, name="account_sign_out_everywhere"),
    path(
        "accounts/settings/second-factor/replace/",
        views.account_second_factor_replace,
        name="account_second_factor_replace",
    ),
    path("notices/", views.notices, name="notices"),
    path("notices/<int:user_notice_id>/read/", views.notice_read, name="notice_read"),
    path("intake/", include("identity.urls")),
    path("", include("dashboards.urls")),
    path("consent/", include("consent.urls")),
    path("licensing/", include("licensing.urls")),
    path("sessions/", include("sessions.urls")),
    path("clinical/", include("clinical.urls")),
    path("", include("crisis.urls")),  # the help button, the risk queue
    path("", include("records.urls")),  # erasure requests
    path("", include("incidents.urls")),  # data breach response (admins)
    path("admin/", admin.site.urls),
]
