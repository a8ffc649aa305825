from django.urls import path

from records import views

app_name = "retention"

urlpatterns = [
    path("privacy/erasure/", views.erasure_request_view, name="erasure_request"),
    path("privacy/data/", views.client_export_page, name="client_export"),
    path("privacy/data/download/", views.client_export_download, name="client_export_download"),
    path("staff/erasure/", views.erasure_queue, name="erasure_queue"),
    path("staff/erasure/<int:erasure_id>/", views.erasure_detail, name="erasure_detail"),
]
