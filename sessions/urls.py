from django.urls import path

from sessions import views

app_name = "sessions"

urlpatterns: list = [
    # Booking, availability, session pages, referrals (issue 6).
    path("book/", views.booking_counselors, name="booking_counselors"),
    path("book/<int:counselor_id>/", views.booking_slots, name="booking_slots"),
    path("<int:session_id>/", views.session_detail, name="session_detail"),
    path("<int:session_id>/cancel/", views.session_cancel, name="session_cancel"),
    path("<int:session_id>/state/", views.session_state, name="session_state"),
    path("availability/", views.availability, name="availability"),
    path("availability/<str:kind>/<int:row_id>/remove/", views.availability_remove, name="availability_remove"),
    path("clients/<int:client_id>/", views.caseload_client, name="caseload_client"),
]
