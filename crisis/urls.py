from django.urls import path

from crisis import views

app_name = "escalation"

urlpatterns = [
    path("help/", views.help_request_view, name="help_request"),
    path("help/sent/", views.help_sent, name="help_sent"),
    path("staff/risk/", views.risk_queue_view, name="queue"),
    path("staff/risk/<int:escalation_id>/", views.escalation_detail, name="detail"),
    path("staff/risk/<int:escalation_id>/card/", views.escalation_emergency_card, name="emergency_card"),
    path("staff/risk/<int:escalation_id>/pick-up/", views.escalation_pickup, name="pickup"),
    path("staff/risk/<int:escalation_id>/acknowledge/", views.escalation_acknowledge_view, name="acknowledge"),
    path("staff/risk/<int:escalation_id>/resolve/", views.escalation_resolve_view, name="resolve"),
    path("staff/risk/drills/start/", views.drill_start_view, name="drill_start"),
    path("staff/risk/drills/<int:drill_id>/", views.drill_view, name="drill"),
    path("staff/risk/drills/<int:drill_id>/acknowledge/", views.drill_acknowledge_view, name="drill_acknowledge"),
    path("staff/risk/drills/<int:drill_id>/end/", views.drill_end_view, name="drill_end"),
]
