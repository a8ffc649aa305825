"""Admin: publish a new version with a diff, see who accepted which version, export one client's history."""

import csv
import io
import json

import pytest

from consent.models import ConsentVersion
from consent.selectors import consent_version_in_force
from counseling.models import AuditEntry
from tests.consent.conftest import accept_current

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_browser(client, admin_user, staff_login):
    return staff_login(client, admin_user)


def _draft_form_data(version, **changes):
    data = {"effective_at": "2020-01-01T00:00", "change_summary": "Clearer insurance text"}
    for section in version.sections.all():
        data[f"title_{section.key}"] = section.title
        data[f"body_{section.key}"] = section.body
    data.update(changes)
    return data


def test_an_admin_drafts_edits_sees_the_diff_and_publishes_a_new_version(admin_browser, admin_user):
    response = admin_browser.post("/consent/manage/drafts/", {"language": "en"})
    draft = ConsentVersion.objects.get(language="en", status="draft")
    assert response["Location"] == f"/consent/manage/versions/{draft.pk}/"

    data = _draft_form_data(draft, body_insurance="We never bill insurers. Ask yours before you claim.")
    admin_browser.post(f"/consent/manage/versions/{draft.pk}/", {**data, "save": "1"})
    page = admin_browser.get(f"/consent/manage/versions/{draft.pk}/").content.decode()
    assert f"Changes since version {draft.number - 1}" in page
    assert 'class="diff-add">+ We never bill insurers. Ask yours before you claim.' in page
    assert 'class="diff-del">- Online counseling on this platform may not be covered' in page

    admin_browser.post(f"/consent/manage/versions/{draft.pk}/", {**data, "publish": "1"})
    draft.refresh_from_db()
    assert draft.is_published and consent_version_in_force(language="en") == draft
    assert AuditEntry.objects.filter(action="consent.version_published", actor_id=admin_user.pk).exists()


def test_publishing_from_the_page_with_an_empty_section_shows_which_section(admin_browser):
    admin_browser.post("/consent/manage/drafts/", {"language": "en"})
    draft = ConsentVersion.objects.get(language="en", status="draft")
    data = _draft_form_data(draft, body_social_media="")
    response = admin_browser.post(f"/consent/manage/versions/{draft.pk}/", {**data, "publish": "1"}, follow=True)
    page = response.content.decode()
    assert "Cannot publish: these required sections are empty: “Social media”." in page
    draft.refresh_from_db()
    assert not draft.is_published


def test_a_published_version_cannot_be_changed_from_its_page(admin_browser):
    version = consent_version_in_force(language="id")
    before = [s.body for s in version.sections.all()]
    response = admin_browser.post(
        f"/consent/manage/versions/{version.pk}/",
        {**_draft_form_data(version, body_insurance="x"), "save": "1"},
        follow=True,
    )
    assert "cannot be changed" in response.content.decode()
    assert [s.body for s in version.sections.all()] == before


def test_the_admin_sees_who_accepted_which_version_and_the_view_is_audited(
    admin_browser, admin_user, client_a, client_b
):
    accept_current(client_a, language="id")
    version = consent_version_in_force(language="id")
    overview = admin_browser.get("/consent/manage/").content.decode()
    assert "1 (1)" in overview
    page = admin_browser.get(f"/consent/manage/versions/{version.pk}/acceptances/").content.decode()
    assert client_a.email in page and client_b.email not in page
    assert AuditEntry.objects.filter(
        action="consent.acceptances_viewed", actor_id=admin_user.pk, target_id=str(version.pk)
    ).exists()


def test_the_admin_exports_one_clients_consent_history_as_json_and_csv(
    admin_browser, admin_user, client_a, client_b, counselor_a
):
    first = accept_current(client_a, language="id")
    second = accept_current(client_a, language="id", counselor=counselor_a)
    accept_current(client_b, language="en")

    response = admin_browser.get("/consent/manage/export/", {"email": client_a.email, "format": "json"})
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    payload = json.loads(response.content)
    assert payload["client_id"] == client_a.pk
    assert [row["acceptance_id"] for row in payload["acceptances"]] == [first.pk, second.pk]
    assert payload["acceptances"][1]["text_sha256"] == second.text_sha256

    response = admin_browser.get("/consent/manage/export/", {"email": client_a.email, "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [int(row["acceptance_id"]) for row in rows] == [first.pk, second.pk]
    exports = AuditEntry.objects.filter(
        action="consent.history_exported", subject_id=client_a.pk, actor_id=admin_user.pk
    )
    assert exports.count() == 2


def test_exporting_an_unknown_or_non_client_address_exports_nothing(admin_browser, counselor_a):
    for email in ("nobody@clients.test", counselor_a.email):
        response = admin_browser.get("/consent/manage/export/", {"email": email, "format": "json"})
        assert response.status_code == 302 and response["Location"] == "/consent/manage/"
    assert not AuditEntry.objects.filter(action="consent.history_exported").exists()


def test_the_django_admin_refuses_changes_to_published_versions(admin_browser):
    from django.contrib.admin.sites import site

    from consent.admin import ConsentVersionAdmin

    version = consent_version_in_force(language="id")
    model_admin = ConsentVersionAdmin(ConsentVersion, site)
    request = admin_browser.get("/").wsgi_request
    assert not model_admin.has_change_permission(request, version)
    assert not model_admin.has_delete_permission(request, version)
    assert not model_admin.has_add_permission(request)


def test_the_csv_export_does_not_let_a_client_plant_a_spreadsheet_formula(admin_browser, client_a):
    from consent.models import ConsentAcceptance

    acceptance = accept_current(client_a)
    ConsentAcceptance.objects.filter(pk=acceptance.pk).update(user_agent='=HYPERLINK("http://evil.example")')
    response = admin_browser.get("/consent/manage/export/", {"email": client_a.email, "format": "csv"})
    row = next(csv.DictReader(io.StringIO(response.content.decode())))
    assert row["user_agent"] == '\'=HYPERLINK("http://evil.example")'


def test_only_clients_can_accept(counselor_a):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        accept_current(counselor_a)
