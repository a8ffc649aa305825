from django.urls import path

from clinical import views_measures, views_notes, views_plans

app_name = "clinical"

urlpatterns: list = [
    path("clients/<int:client_id>/measures/", views_measures.client_measures, name="client_measures"),
    path("measures/<int:schedule_id>/", views_measures.measure_fill, name="measure_fill"),
    path("measures/responses/<int:response_id>/", views_measures.measure_done, name="measure_done"),
    path("clients/<int:client_id>/plan/", views_plans.client_plan, name="client_plan"),
    path("plan/", views_plans.my_plans, name="my_plans"),
    path("sessions/<int:session_id>/note/", views_notes.session_note, name="session_note"),
    path("sessions/<int:session_id>/note/addendum/", views_notes.note_addendum, name="note_addendum"),
    path("notes/<int:note_id>/cosign/", views_notes.note_cosign, name="note_cosign"),
    path("supervision/", views_notes.supervision, name="supervision"),
    path("supervision/manage/", views_notes.supervision_manage, name="supervision_manage"),
    path("supervision/<int:supervisee_id>/", views_notes.supervisee_caseload, name="supervisee_caseload"),
    path("record/", views_notes.client_record, name="client_record"),
    path("record/requests/<int:request_id>/", views_notes.record_request_answer, name="record_request_answer"),
]
