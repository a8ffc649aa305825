import pytest
from django.test import Client
from django.urls import path

from counseling import urls as project_urls


def _boom(request):
    raise RuntimeError("secret detail that must not reach the page")


urlpatterns = [*project_urls.urlpatterns, path("boom/", _boom)]


@pytest.mark.urls("tests.counseling.test_error_page")
@pytest.mark.django_db
def test_a_server_error_shows_a_calm_page_with_emergency_numbers_and_no_detail():
    response = Client(raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong" in body
    assert 'href="tel:119,8"' in body and "119, then press 8" in body and 'href="tel:110"' in body
    assert "secret detail" not in body and "Traceback" not in body
