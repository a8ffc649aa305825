from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from counseling import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
    path("accounts/password-reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/password-reset/sent/", auth_views.PasswordResetDoneView.as_view(),
         name="password_reset_done"),
    path("accounts/reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("accounts/reset/done/", auth_views.PasswordResetCompleteView.as_view(),
         name="password_reset_complete"),
    path("accounts/mfa/", include("counseling.mfa_urls")),
    path("intake/", include("counseling.intake_urls")),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("client/", views.client_home, name="client_home"),
    path("counselor/", views.counselor_home, name="counselor_home"),
    path("staff/", views.staff_home, name="staff_home"),
    path("consent/", include("consent.urls")),
    path("licensing/", include("licensing.urls")),
    path("sessions/", include("sessions.urls")),
    path("", include("counseling.escalation_urls")),  # help button, risk queue (issue 8)
    path("", include("counseling.retention_urls")),  # erasure requests (issue 8)
    path("admin/", admin.site.urls),
]
