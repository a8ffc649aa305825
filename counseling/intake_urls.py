from django.urls import path

from counseling import intake_views

app_name = "intake"

urlpatterns = [
    path("", intake_views.home, name="home"),
    path("form/", intake_views.intake_form, name="form"),
    path("identity/", intake_views.identity_upload, name="identity_upload"),
    path("sessions/<int:session_id>/location/", intake_views.session_location, name="session_location"),
    path("sessions/<int:session_id>/code-word/", intake_views.code_word_answer, name="code_word_answer"),
    path("sessions/<int:session_id>/code-word/result/", intake_views.code_word_result, name="code_word_result"),
    path("review/", intake_views.review_list, name="review_list"),
    path("review/<int:identity_document_id>/", intake_views.review_detail, name="review_detail"),
    path("review/<int:identity_document_id>/document/", intake_views.review_document, name="review_document"),
]
