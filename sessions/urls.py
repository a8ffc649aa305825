from django.urls import path

from sessions import views
from sessions.calls import views as call_views
from sessions.chat import views as chat_views

app_name = "sessions"

urlpatterns: list = [
    # Booking, availability, session pages, referrals.
    path("book/", views.booking_counselors, name="booking_counselors"),
    path("book/<int:counselor_id>/", views.booking_slots, name="booking_slots"),
    path("<int:session_id>/", views.session_detail, name="session_detail"),
    path("<int:session_id>/cancel/", views.session_cancel, name="session_cancel"),
    path("<int:session_id>/state/", views.session_state, name="session_state"),
    path("<int:session_id>/reschedule/", views.session_reschedule, name="session_reschedule"),
    # How the session is held (video, voice, chat), changed before the start; its video or voice call.
    path("<int:session_id>/medium/", views.session_medium, name="session_medium"),
    path("<int:session_id>/call/", call_views.session_call, name="session_call"),
    # A new client's first booking: the counselor reads the intake and the screen, then accepts or declines.
    path("requests/<int:session_id>/", views.session_request, name="session_request"),
    path("requests/<int:session_id>/accept/", views.session_request_accept, name="session_request_accept"),
    path("requests/<int:session_id>/decline/", views.session_request_decline, name="session_request_decline"),
    path("requests/<int:session_id>/override/", views.suitability_override, name="suitability_override"),
    path("series/<int:series_id>/cancel/", views.series_cancel, name="series_cancel"),
    # The private calendar feed: its settings, and the feed at its secret address (no session cookie needed).
    path("calendar/", views.calendar_feed_settings, name="calendar_feed_settings"),
    path("calendar/<str:feed_token>.ics", views.calendar_feed, name="calendar_feed"),
    path("availability/", views.availability, name="availability"),
    path("availability/<str:kind>/<int:row_id>/remove/", views.availability_remove, name="availability_remove"),
    path("clients/<int:client_id>/", views.caseload_client, name="caseload_client"),
    # Where the client is for a session, and the code word at its start.
    path("<int:session_id>/location/", views.session_location, name="session_location"),
    path("<int:session_id>/code-word/", views.code_word_answer, name="code_word_answer"),
    path("<int:session_id>/code-word/result/", views.code_word_result, name="code_word_result"),
    # Chat: live session chat, messages between sessions, transcripts, break-glass.
    path("chat/", chat_views.chat_list, name="chat_list"),
    path("chat/<int:conversation_id>/", chat_views.conversation_chat, name="conversation_chat"),
    path("chat/<int:conversation_id>/transcript/", chat_views.conversation_transcript, name="conversation_transcript"),
    path("chat/<int:conversation_id>/break-glass/", chat_views.break_glass, name="break_glass"),
    path("<int:session_id>/chat/", chat_views.session_chat, name="session_chat"),
    path("<int:session_id>/messages/", chat_views.conversation_start, name="conversation_start"),
    path("<int:session_id>/transcript/", chat_views.session_transcript, name="session_transcript"),
    # A dropped session: the counselor records what they did.
    path("drops/<int:drop_id>/record/", chat_views.session_drop_record, name="session_drop_record"),
]
