"""What the texts promise about backups is the number the settings give (counseling.crypto.backup_shred_days)."""

import pytest

from consent.checks import consent_backup_days_check, consent_backup_days_stated
from consent.default_text import VERSION_3
from consent.models import ConsentVersion
from consent.selectors import consent_versions_in_force
from counseling.crypto import backup_shred_days
from records.models import ErasureRequest
from records.services import erasure_answer_text

pytestmark = pytest.mark.django_db


def test_the_consent_in_force_carries_version_3s_retention_and_states_the_days_the_settings_give():
    versions = consent_versions_in_force()
    assert set(versions) == {"en", "id"}
    for language, version in versions.items():
        third = ConsentVersion.objects.get(language=language, change_summary=VERSION_3[language]["change_summary"])
        assert version.number >= third.number
        assert version.sections.get(key="retention").body == third.sections.get(key="retention").body
        assert consent_backup_days_stated(version=version) == backup_shred_days()
        body = version.sections.get(key="retention").body
        assert "{days}" not in body
    assert f"within {backup_shred_days()} days" in versions["en"].sections.get(key="retention").body
    assert f"paling lambat {backup_shred_days()} hari" in versions["id"].sections.get(key="retention").body


def test_the_consent_no_longer_says_backups_are_unreadable_at_once():
    body = consent_versions_in_force()["en"].sections.get(key="retention").body
    assert "After that no copy can be read again" not in body


def test_the_transparency_page_states_the_same_number(client):
    page = client.get("/consent/transparency/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"within {backup_shred_days()} days no copy can be read anywhere, backups included" in page
    assert "every copy, backups included, becomes unreadable" not in page


def test_the_transparency_page_follows_the_settings(client, settings):
    settings.BACKUP_RETENTION_DAYS = 10
    page = client.get("/consent/transparency/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"within {settings.KEK_EPOCH_DAYS + 10 + settings.KEK_RETIRE_GRACE_DAYS} days" in page


def test_settings_that_would_promise_more_days_than_the_published_consent_fail_the_check(settings):
    assert consent_backup_days_check(None, databases=["default"]) == []
    settings.BACKUP_RETENTION_DAYS += 1
    errors = consent_backup_days_check(None, databases=["default"])
    assert [e.id for e in errors] == ["consent.E001"]
    assert f"give {backup_shred_days()}" in errors[0].msg


def test_shorter_settings_keep_the_published_promise_true(settings):
    settings.BACKUP_RETENTION_DAYS -= 5
    assert consent_backup_days_check(None, databases=["default"]) == []


def test_the_erasure_answer_states_the_days(client_a):
    erasure = ErasureRequest(client=client_a, decision=ErasureRequest.Decision.ERASE_NOW)
    assert f"within {backup_shred_days()} days no copy can be read anywhere" in erasure_answer_text(erasure)
