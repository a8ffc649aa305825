"""The page benchmark's URLs: the project's own, plus the bare view it compares every page with.

Used only by bench/pages_asgi.py (never by the project's settings): the bare view is not a route of the site.
"""

from django.http import HttpResponse
from django.urls import include, path


def bare(request):
    """The baseline: a plain Django view through the same process, middleware and URL resolver, no query."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("bench/bare/", bare),
    path("", include("counseling.urls")),
]
