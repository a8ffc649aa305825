from django.urls import path

from consent import views

app_name = "consent"

urlpatterns = [
    path("transparency/", views.transparency, name="transparency"),
    path("", views.onboarding, name="onboarding"),
    path("mine/", views.mine, name="mine"),
    path("mine/<int:acceptance_id>/", views.acceptance_detail, name="acceptance_detail"),
    path("withdraw/", views.withdraw, name="withdraw"),
    path("manage/", views.manage_index, name="manage"),
    path("manage/drafts/", views.draft_create, name="draft_create"),
    path("manage/versions/<int:version_id>/", views.version_edit, name="version_edit"),
    path("manage/versions/<int:version_id>/acceptances/", views.version_acceptances, name="version_acceptances"),
    path("manage/export/", views.client_export, name="client_export"),
]
