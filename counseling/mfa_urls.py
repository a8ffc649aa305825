from django.urls import path

from counseling import mfa_views

app_name = "mfa"

urlpatterns = [
    path("setup/", mfa_views.setup, name="setup"),
    path("verify/", mfa_views.verify, name="verify"),
    path("recovery-codes/", mfa_views.recovery_codes, name="recovery_codes"),
    path("recovery-codes/renew/", mfa_views.recovery_codes_renew, name="recovery_codes_renew"),
]
