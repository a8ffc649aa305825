from django.urls import path

from incidents import views

app_name = "incidents"

urlpatterns = [
    path("staff/incidents/", views.incident_list, name="list"),
    path("staff/incidents/open/", views.incident_open_view, name="open"),
    path("staff/incidents/<int:incident_id>/", views.incident_detail, name="detail"),
    path("staff/incidents/<int:incident_id>/affected/", views.incident_affected, name="affected"),
    path("staff/incidents/<int:incident_id>/notices/", views.incident_notices, name="notices"),
    path("staff/incidents/<int:incident_id>/notices/send/", views.incident_notices_send, name="notices_send"),
    path("staff/incidents/<int:incident_id>/authority/<str:law>/", views.incident_authority, name="authority"),
]
