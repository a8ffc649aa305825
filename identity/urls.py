from django.urls import path

from identity import views

app_name = "intake"

urlpatterns = [
    path("", views.home, name="home"),
    path("form/", views.intake_form, name="form"),
    path("identity/", views.identity_upload, name="identity_upload"),
    path("review/", views.review_list, name="review_list"),
    path("review/<int:identity_document_id>/", views.review_detail, name="review_detail"),
    path("review/<int:identity_document_id>/document/", views.review_document, name="review_document"),
]
