from django.urls import path

from clinical import views_measures, views_plans

app_name = "clinical"

urlpatterns: list = [
    path("clients/<int:client_id>/measures/", views_measures.client_measures, name="client_measures"),
    path("measures/<int:schedule_id>/", views_measures.measure_fill, name="measure_fill"),
    path("measures/responses/<int:response_id>/", views_measures.measure_done, name="measure_done"),
    path("clients/<int:client_id>/plan/", views_plans.client_plan, name="client_plan"),
    path("plan/", views_plans.my_plans, name="my_plans"),
]
