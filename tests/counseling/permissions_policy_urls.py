"""A test-only URLconf for tests/counseling/test_permissions_policy.py: one ordinary page, one page that may use the
camera and microphone (as the call page is), in both kinds of view."""

from django.http import HttpResponse
from django.urls import path

from counseling.middleware import allows_camera_and_microphone


def ordinary_page(request):
    return HttpResponse("<p>an ordinary page</p>")


@allows_camera_and_microphone
def call_like_page(request):
    return HttpResponse("<p>a call page</p>")


@allows_camera_and_microphone
async def async_call_like_page(request):
    return HttpResponse("<p>a call page, served by an async view</p>")


urlpatterns = [
    path("ordinary/", ordinary_page),
    path("call/", call_like_page),
    path("async-call/", async_call_like_page),
]
