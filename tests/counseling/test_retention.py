"""Retention: clients past their retention are crypto-shredded then deleted; holds, dry runs and others untouched."""

from datetime import UTC, date, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from counseling import clock
from counseling.audit import audit_chain_verify
from counseling.crypto import DecryptionError, open_text
from counseling.models import AuditEntry, ClientProfile, DataKey, User
from crisis.models import Escalation
from records.models import LegalHold, RetentionRule, RetentionTombstone
from records.services import client_purge_batch, duties_for, retention_due, retention_run
from sessions.models import Conversation, CounselingSession, Message
from tests.counseling.test_escalation_support import eager_celery, make_message, make_session  # noqa: F401

pytestmark = pytest.mark.usefixtures("eager_celery")

NOW = clock.now()
LONG_AGO = NOW - timedelta(days=365 * 8)


def age(user, when=LONG_AGO):
    """Make every contact of this client happen at `when`."""
    User.objects.filter(pk=user.pk).update(date_joined=when, last_login=None)
    Message.objects.filter(conversation__client=user).update(created_at=when)
    CounselingSession.objects.filter(client=user).update(starts_at=when, ends_at=when + timedelta(minutes=50))


# These tests are about destruction, so the old client was somewhere only the APA default (7 years) covers:
# an Indonesian client is kept 25 years by the seeded Indonesian rule (records 0003, Permenkes 24/2022).
PLACE_WITH_ONLY_THE_DEFAULT = "SG"


@pytest.fixture
def old_client(client_a, counselor_a):
    session = make_session(client_a, counselor_a, country=PLACE_WITH_ONLY_THE_DEFAULT)
    for i in range(5):
        make_message(client_a, counselor_a, f"old secret {i}", session=session)
    make_message(client_a, counselor_a, "counselor reply", sender=counselor_a, session=session)
    from crisis.services import help_request

    help_request(client=client_a, session=session)
    age(client_a)
    return client_a


@pytest.fixture
def recent_client(client_b, counselor_a):
    make_message(client_b, counselor_a, "recent secret")
    return client_b


def run(django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return retention_run(at=NOW, **kwargs)


def test_a_client_past_retention_is_crypto_shredded_then_deleted_leaving_a_tombstone(
    old_client, recent_client, django_capture_on_commit_callbacks
):
    client_id = old_client.pk
    plans = run(django_capture_on_commit_callbacks)
    assert [plan.client_id for plan in plans] == [client_id]
    assert not User.objects.filter(pk=client_id).exists()
    assert not ClientProfile.objects.filter(user_id=client_id).exists()
    assert not Message.objects.filter(conversation__client_id=client_id).exists()
    assert not Conversation.objects.filter(client_id=client_id).exists()
    assert not CounselingSession.objects.filter(client_id=client_id).exists()
    assert not Escalation.objects.filter(client_id=client_id).exists()
    assert not DataKey.objects.filter(owner_id=client_id).exists()
    tomb = RetentionTombstone.objects.get(subject_id=client_id)
    assert tomb.rule.startswith("APA default") and tomb.destroyed_by == "retention job"
    assert tomb.purged_at is not None and tomb.retention_ended_on.year == LONG_AGO.year + 7
    assert {f.name for f in RetentionTombstone._meta.fields} == {
        "id",
        "subject_id",
        "destroyed_at",
        "destroyed_by",
        "rule",
        "retention_ended_on",
        "last_contact_at",
        "purged_at",
    }


def test_shredding_makes_the_data_unreadable_before_any_row_is_deleted(old_client, counselor_a):
    from records.services import client_shred

    message = Message.objects.filter(conversation__client=old_client).first()
    assert client_shred(client_id=old_client.pk, rule="test rule")  # on-commit purge not run
    with pytest.raises(DecryptionError):
        open_text(owner_id=old_client.pk, sealed=message.body_sealed, context=message.aad)
    assert Message.objects.filter(pk=message.pk).exists()
    assert not User.objects.get(pk=old_client.pk).is_active


def test_other_clients_data_is_untouched(old_client, recent_client, django_capture_on_commit_callbacks):
    run(django_capture_on_commit_callbacks)
    message = Message.objects.get(conversation__client=recent_client)
    assert open_text(owner_id=recent_client.pk, sealed=message.body_sealed, context=message.aad) == "recent secret"
    assert User.objects.get(pk=recent_client.pk).is_active
    assert not RetentionTombstone.objects.filter(subject_id=recent_client.pk).exists()


def test_a_client_under_legal_hold_is_untouched(old_client, admin_user, django_capture_on_commit_callbacks):
    LegalHold.objects.create(client=old_client, reason="Court order 12/2026", placed_by=admin_user)
    assert run(django_capture_on_commit_callbacks) == []
    message = Message.objects.filter(conversation__client=old_client).order_by("seq").first()
    assert open_text(owner_id=old_client.pk, sealed=message.body_sealed, context=message.aad) == "old secret 0"
    assert not RetentionTombstone.objects.exists()


def test_a_released_hold_no_longer_protects(old_client, admin_user, django_capture_on_commit_callbacks):
    hold = LegalHold.objects.create(client=old_client, reason="Closed case", placed_by=admin_user, released_at=NOW)
    assert [plan.client_id for plan in run(django_capture_on_commit_callbacks)] == [old_client.pk]
    assert not User.objects.filter(pk=old_client.pk).exists()
    # The released hold went with the account; the audit log names it.
    assert not LegalHold.objects.filter(pk=hold.pk).exists()
    purged = AuditEntry.objects.get(action="retention.client_purged", subject_id=old_client.pk)
    assert purged.detail["released_legal_holds"] == [hold.pk]


def test_a_dry_run_lists_what_it_would_destroy_and_changes_nothing(
    old_client, recent_client, django_capture_on_commit_callbacks
):
    audit_before = AuditEntry.objects.count()
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("retention_run", "--dry-run", stdout=out)
    assert f"would destroy client {old_client.pk}: 6 messages" in out.getvalue()
    assert "1 client(s) would destroy (dry run: nothing changed)" in out.getvalue()
    assert AuditEntry.objects.count() == audit_before
    assert not RetentionTombstone.objects.exists()
    assert DataKey.objects.get(owner=old_client).destroyed_at is None
    assert Message.objects.filter(conversation__client=old_client).count() == 6


def test_a_second_run_is_a_no_op(old_client, recent_client, django_capture_on_commit_callbacks):
    run(django_capture_on_commit_callbacks)
    audit_after_first = AuditEntry.objects.count()
    messages_after_first = Message.objects.count()
    assert run(django_capture_on_commit_callbacks) == []
    assert AuditEntry.objects.count() == audit_after_first
    assert Message.objects.count() == messages_after_first


def test_every_destruction_is_audit_logged_and_the_audit_log_is_kept_intact(
    old_client, django_capture_on_commit_callbacks
):
    client_id = old_client.pk
    entries_about_client = AuditEntry.objects.filter(subject_id=client_id).count()
    run(django_capture_on_commit_callbacks)
    actions = list(
        AuditEntry.objects.filter(target_id=str(client_id), action__startswith="retention.").values_list(
            "action", flat=True
        )
    )
    assert actions == ["retention.client_shredded", "retention.client_purged"]
    assert AuditEntry.objects.filter(subject_id=client_id).count() == entries_about_client + 2
    assert audit_chain_verify().ok


def test_purging_runs_in_bounded_batches_that_requeue_themselves(
    old_client, monkeypatch, django_capture_on_commit_callbacks
):
    from records import services as retention

    batches = []
    real = retention.client_purge_batch

    def counting(*, client_id, batch_size=2):
        batches.append(client_id)
        return real(client_id=client_id, batch_size=2)

    monkeypatch.setattr(retention, "client_purge_batch", counting)
    run(django_capture_on_commit_callbacks)
    # 6 messages in batches of 2, then one batch for the rest of the rows.
    assert len(batches) == 4
    assert not User.objects.filter(pk=old_client.pk).exists()


def test_purge_batch_stops_if_a_hold_is_placed_after_shredding(old_client, admin_user):
    from records.services import client_shred

    client_shred(client_id=old_client.pk, rule="test")
    LegalHold.objects.create(client=old_client, reason="late hold", placed_by=admin_user)
    assert client_purge_batch(client_id=old_client.pk) is True
    assert Message.objects.filter(conversation__client=old_client).count() == 6


def test_a_recent_client_is_not_due(recent_client):
    assert retention_due(at=NOW) == []


def test_the_longest_applicable_rule_wins():
    last = datetime(2020, 5, 1, tzinfo=UTC)
    rules = [
        RetentionRule(name="APA 7", years_after_last_contact=7),
        RetentionRule(name="Jurisdiction 10", country="ID", years_after_last_contact=10),
    ]
    duties = duties_for(last_contact=last, birth_date=None, rules=rules)
    assert duties[0].rule == "Jurisdiction 10" and duties[0].until == date(2030, 5, 1)


def test_a_minor_is_kept_until_majority_plus_three_years_when_that_is_later():
    last = datetime(2024, 1, 10, tzinfo=UTC)
    rule = RetentionRule(name="APA 7", years_after_last_contact=7, age_of_majority=18, years_after_majority=3)
    child = duties_for(last_contact=last, birth_date=date(2015, 3, 1), rules=[rule])[0]
    assert child.until == date(2036, 3, 1) and "minor" in child.rule
    adult = duties_for(last_contact=last, birth_date=date(1990, 3, 1), rules=[rule])[0]
    assert adult.until == date(2031, 1, 10)


def test_a_jurisdiction_rule_applies_only_to_clients_who_were_there(
    old_client, recent_client, counselor_a, django_capture_on_commit_callbacks
):
    # old_client confirmed Singapore: a 10-year rule there keeps them; moved to another country, it does not.
    RetentionRule.objects.create(name="Singapore 10 years", country="SG", years_after_last_contact=10)
    assert run(django_capture_on_commit_callbacks) == []
    RetentionRule.objects.filter(country="SG").update(country="FR")
    assert [p.client_id for p in run(django_capture_on_commit_callbacks)] == [old_client.pk]
