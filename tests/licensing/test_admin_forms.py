"""The admin's forms for issuing bodies and practice agreements: an address typed without a scheme."""

import warnings

import pytest
from django.contrib import admin
from django.test import RequestFactory

from licensing.models import IssuingBody, PracticeAgreement

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("model", "field"), [(IssuingBody, "registry_url"), (PracticeAgreement, "url")])
def test_an_address_without_a_scheme_is_taken_as_https(model, field, admin_user):
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Django 5.2 warns (RemovedInDjango60Warning) when no scheme is chosen
        form_class = admin.site._registry[model].get_form(request)
        assert form_class.base_fields[field].clean("register.example.org") == "https://register.example.org"
