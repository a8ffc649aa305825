from django.urls import path

from licensing import views

app_name = "licensing"

urlpatterns = [
    path("counselors/", views.directory, name="directory"),
    path("counselors/<int:user_id>/", views.counselor_profile, name="counselor_profile"),
    path("notices/<int:notice_id>/dismiss/", views.lapse_notice_dismiss, name="lapse_notice_dismiss"),
    path("mine/", views.my_licences, name="my_licences"),
    path("application/", views.application, name="application"),
    path("applications/", views.applications, name="applications"),
    path("review/", views.queue, name="queue"),
    path("review/<int:licence_id>/", views.review, name="review"),
    path("review/<int:licence_id>/evidence/", views.evidence, name="evidence"),
]
