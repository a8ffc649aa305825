"""base.html's `{% fixed %}` parts (kept once per language and URLs) render the page exactly as the template without
them, for every role and language, on the first render and on the later ones that reuse the kept text."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.template import TemplateSyntaxError, engines
from django.test import RequestFactory
from django.urls import clear_url_caches, reverse
from django.utils import translation

from counseling.models import Notice, User
from counseling.templatetags import fixed_text
from tests.conftest import make_client

BASE = Path(settings.BASE_DIR) / "templates" / "base.html"


def _without_fixed() -> str:
    source = BASE.read_text()
    assert "{% fixed " in source
    plain = re.sub(r"{% (?:fixed \"[^\"]+\"|endfixed) %}", "", source)
    return plain.replace("{% load i18n static fixed_text %}", "{% load i18n static %}")


def _render(template, user, language: str) -> str:
    request = RequestFactory().get("/somewhere/?a=1")
    request.user = user
    with translation.override(language):
        html = template.render({}, request)
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "id"])
def test_base_renders_as_without_its_fixed_parts(language, client_a, counselor_a, admin_user):
    engine = engines["django"]
    kept, plain = engine.get_template("base.html"), engine.from_string(_without_fixed())
    # Someone with unread notices and an e-mail address still to confirm: the header's count and the warning.
    unconfirmed = make_client("unconfirmed@clients.test", "Unconfirmed")
    User.objects.filter(pk=unconfirmed.pk).update(email_verified_at=None)
    unconfirmed.refresh_from_db()
    Notice.objects.create(user=unconfirmed, kind="session.booked", title="Booked")
    fixed_text._KEPT.clear()
    for user in (client_a, counselor_a, admin_user, unconfirmed, AnonymousUser()):
        expected = _render(plain, user, language)
        assert _render(kept, user, language) == expected  # made and kept
        assert _render(kept, user, language) == expected  # from what was kept
    assert fixed_text._KEPT  # the second renders did use kept text
    page = _render(kept, unconfirmed, language)
    assert reverse("email_verify_pending") in page and "<span data-notice-count-value>1</span>" in page


@pytest.mark.django_db
def test_kept_text_follows_the_language(client_a):
    template = engines["django"].get_template("base.html")
    fixed_text._KEPT.clear()
    english, indonesian = _render(template, client_a, "en"), _render(template, client_a, "id")
    assert "My counseling" in english and "My counseling" not in indonesian
    assert _render(template, client_a, "en") == english


def test_a_changed_setting_forgets_the_kept_text(settings):
    fixed_text._KEPT[("x", "en", "u", "/")] = "old"
    settings.ROOT_URLCONF = settings.ROOT_URLCONF  # sends setting_changed
    clear_url_caches()
    assert not fixed_text._KEPT


def test_a_fixed_part_cannot_hold_a_block():
    with pytest.raises(TemplateSyntaxError):
        engines["django"].from_string('{% load fixed_text %}{% fixed "x" %}{% block b %}{% endblock %}{% endfixed %}')


def test_a_child_template_fills_the_blocks_between_the_fixed_parts():
    child = engines["django"].from_string(
        '{% extends "base.html" %}{% block title %}Child title{% endblock %}{% block content %}Child body{% endblock %}'
    )
    html = child.render({}, RequestFactory().get("/"))
    assert "<title>Child title</title>" in html and "Child body" in html
