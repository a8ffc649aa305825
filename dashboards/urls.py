from django.urls import path

from dashboards import views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("client/", views.client_home, name="client_home"),
    path("counselor/", views.counselor_home, name="counselor_home"),
    path("staff/", views.staff_home, name="staff_home"),
]
