"""The call benchmark's URLconf: the project's, plus one empty page that may use the camera and microphone, on
which the benchmark runs its own contract-following call driver (bench/call_bench.py). Not served in production."""

from django.http import HttpResponse
from django.urls import path

from counseling.middleware import allows_camera_and_microphone
from counseling.urls import urlpatterns as project_urlpatterns


@allows_camera_and_microphone
def bench_call_page(request):
    return HttpResponse("<!doctype html><title>call bench</title><main>call bench</main>")


urlpatterns = [path("bench/call/", bench_call_page), *project_urlpatterns]
