"""Moving the core app's models into identity, crisis and records loses nothing.

The move changes only Django's idea of which app owns each model (SeparateDatabaseAndState; every table keeps
its name), so no row is copied. The test builds a database in the layout of the last release before the move,
fills every moved table and the audit log through the historical models, migrates it forward, and reads it all
back with today's models.
"""

import datetime
import hashlib
import json
import uuid

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from counseling.audit import audit_chain_verify, audit_record
from counseling.clock import now
from counseling.models import AuditEntry, User
from crisis.models import Escalation, EscalationAlert, EscalationEvent, OnCallShift, RiskPhrase
from identity.models import CodeWord, CodeWordCheck, EmergencyResource, IdentityDocument, Intake
from records.models import ErasureRequest, LegalHold, RetentionRule, RetentionTombstone

# The last migration of each project app in the old layout (main before the move). The apps that did not
# exist then are migrated to zero; every other app (Django's, third parties') stays at its latest migration.
OLD_LAYOUT_LEAVES = {
    "counseling": "0006_escalation_repeat_alerts",
    "consent": "0003_publish_consent_version_2",
    "licensing": "0003_licence_kind_sippk",
    "counseling_sessions": "0005_message_awaiting_reply_column",
}
APPS_NEW_IN_THE_MOVE = ("identity", "crisis", "records")
# Apps made after the move whose first migration needs a later migration of an app above (clinical needs today's
# sessions): they did not exist then either, so they are left out of the old layout (migrated to zero) too.
APPS_ADDED_AFTER_THE_MOVE = ("clinical",)

MOVED_MODELS = {
    Intake: "identity",
    IdentityDocument: "identity",
    CodeWord: "identity",
    CodeWordCheck: "identity",
    EmergencyResource: "identity",
    RiskPhrase: "crisis",
    OnCallShift: "crisis",
    Escalation: "crisis",
    EscalationEvent: "crisis",
    EscalationAlert: "crisis",
    RetentionRule: "records",
    LegalHold: "records",
    RetentionTombstone: "records",
    ErasureRequest: "records",
}


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()  # reload what is applied now
    return executor


def _latest_nodes() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _old_layout_nodes() -> list[tuple[str, str]]:
    return [
        (app, OLD_LAYOUT_LEAVES.get(app, name))
        for app, name in _latest_nodes()
        if app not in (*APPS_NEW_IN_THE_MOVE, *APPS_ADDED_AFTER_THE_MOVE)
    ]


def _rows(model, fields=()) -> list[dict]:
    """Every row of the model's table, as stored (bytes for binary columns on every backend); only the given
    fields, if any, so that a column added after the move does not count as a change."""
    return [
        {field: bytes(value) if isinstance(value, memoryview) else value for field, value in row.items()}
        for row in model.objects.order_by("pk").values(*fields)
    ]


def _hash_as_the_old_layout_wrote_it(entry) -> str:
    """AuditEntry.compute_hash as it stood before the move. A frozen copy, not a call: the historical model
    has no methods, and entries written before the move must verify with whatever today's code does."""
    payload = {
        "sequence": entry.sequence,
        "at": entry.at.isoformat(),
        "actor_id": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "subject_id": entry.subject_id,
        "ip_address": entry.ip_address,
        "detail": entry.detail,
        "prev_hash": entry.prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _append_old_audit_entry(
    old_apps,
    *,
    actor,
    action: str,
    target_type: str,
    target_id,
    subject=None,
    ip_address: str | None = None,
    detail: dict | None = None,
):
    """What counseling.audit.audit_record did in the old layout, through the historical models."""
    head_model = old_apps.get_model("counseling", "AuditChainHead")
    head, _created = head_model.objects.get_or_create(pk=1)
    entry = old_apps.get_model("counseling", "AuditEntry")(
        sequence=head.length + 1,
        at=now(),
        actor_id=actor.pk if actor else None,
        actor_label=actor.email if actor else "system",
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        subject_id=subject.pk if subject else None,
        ip_address=ip_address,
        detail=detail or {},
        prev_hash=head.last_hash,
    )
    entry.entry_hash = _hash_as_the_old_layout_wrote_it(entry)
    entry.save()
    head_model.objects.filter(pk=1).update(length=entry.sequence, last_hash=entry.entry_hash)
    return entry


def _fill_every_moved_table(old_apps) -> dict:
    """One or more rows in each moved table, with the users, session and message they point to."""

    def model(name: str):
        return old_apps.get_model("counseling", name)

    users = old_apps.get_model("counseling", "User").objects
    client = users.create(email="moved.client@clients.test", role="client", password="!")
    counselor = users.create(email="moved.counselor@staff.test", role="counselor", password="!")
    admin = users.create(email="moved.admin@staff.test", role="admin", password="!", is_staff=True)
    starts_at = now().replace(microsecond=0) - datetime.timedelta(hours=1)
    session = old_apps.get_model("counseling_sessions", "CounselingSession").objects.create(
        client=client,
        counselor=counselor,
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(hours=1),
        state="active",
        location_country="ID",
        location_region="ID-YO",
    )
    conversation = old_apps.get_model("counseling_sessions", "Conversation").objects.create(
        client=client, counselor=counselor, last_seq=1
    )
    message = old_apps.get_model("counseling_sessions", "Message").objects.create(
        conversation=conversation,
        session=session,
        seq=1,
        sender=client,
        client_msg_id=uuid.uuid4(),
        body_sealed=b"sealed message body",
    )

    intake = model("Intake").objects.create(
        client=client,
        answers_sealed=b"sealed intake answers",
        emergency_contact_authorised=True,
        has_connection_plan=True,
        suitability_passed=True,
    )
    model("IdentityDocument").objects.create(
        client=client,
        ref=uuid.uuid4(),
        content_type="image/png",
        size_bytes=2048,
        content_sealed=b"sealed scan",
        status="verified",
        reviewed_by=counselor,
        reviewed_at=now(),
    )
    model("CodeWord").objects.create(client=client, hashed="pbkdf2_sha256$placeholder")
    model("CodeWordCheck").objects.create(client=client, session=session, matched=True)
    model("EmergencyResource").objects.create(
        country="ID",
        region="ID-YO",
        name="Moved crisis line",
        number="119",
        extension="8",
        channel="call",
        source_url="https://example.test/119",
        checked_on=datetime.date(2026, 1, 5),
        checked_by=admin,
    )

    model("RiskPhrase").objects.create(language="en", phrase="moved risk phrase", severity=2)
    model("OnCallShift").objects.create(
        user=counselor, role="supervisor", starts_at=starts_at, ends_at=starts_at + datetime.timedelta(hours=8)
    )
    escalation = model("Escalation").objects.create(
        client=client,
        counselor=counselor,
        session=session,
        message=message,
        kind="help_button",
        severity=3,
        dedupe_key=f"help:{client.pk}:moved",
        state="acknowledged",
        rung="on_call",
        acknowledged_at=now(),
        presses_again=1,
        repeat_alerts=1,
        repeat_alerted_at=now(),
    )
    model("EscalationEvent").objects.create(
        escalation=escalation,
        kind="acknowledged",
        actor=counselor,
        rung="counselor",
        note_sealed=b"sealed note",
        note_ref=str(uuid.uuid4()),
    )
    model("EscalationAlert").objects.create(
        escalation=escalation, recipient=counselor, rung="counselor", attempts=1, notified_at=now(), emailed_at=now()
    )

    model("RetentionRule").objects.create(
        name="Moved rule", country="ID", region="ID-YO", years_after_last_contact=10, citation="a test citation"
    )
    hold = model("LegalHold").objects.create(client=client, reason="court order", placed_by=admin)
    model("RetentionTombstone").objects.create(
        subject_id=987654, destroyed_by="system", rule="Moved rule", retention_ended_on=datetime.date(2025, 12, 31)
    )
    model("ErasureRequest").objects.create(
        subject_id=client.pk,
        client=client,
        decision="keep_until",
        keep_until=datetime.date(2030, 1, 1),
        rule="Moved rule",
        answered_at=now(),
        answered_by=admin,
    )

    # Admin permissions and log entries hang on the content types the move relabels.
    content_types = old_apps.get_model("contenttypes", "ContentType").objects
    for moved in MOVED_MODELS:
        content_types.get_or_create(app_label="counseling", model=moved._meta.model_name)
    escalation_type = content_types.get(app_label="counseling", model="escalation")
    permission, _created = old_apps.get_model("auth", "Permission").objects.get_or_create(
        content_type=escalation_type, codename="view_escalation", defaults={"name": "Can view escalation"}
    )
    group = old_apps.get_model("auth", "Group").objects.create(name="Moved crisis reviewers")
    group.permissions.add(permission)
    old_apps.get_model("admin", "LogEntry").objects.create(
        user=admin,
        content_type=escalation_type,
        object_id=str(escalation.pk),
        object_repr="escalation",
        action_flag=2,
        change_message="[]",
        action_time=now(),
    )

    for action, target_type, target, actor in [
        ("intake.submitted", "counseling.intake", intake, client),
        ("escalation.opened", "counseling.escalation", escalation, None),
        ("escalation.acknowledged", "counseling.escalation", escalation, counselor),
        ("retention.hold_placed", "counseling.legalhold", hold, admin),
    ]:
        _append_old_audit_entry(
            old_apps,
            actor=actor,
            action=action,
            target_type=target_type,
            target_id=target.pk,
            subject=client,
            ip_address="203.0.113.7",
            detail={"rung": "counselor", "severity": 3},
        )
    return {
        "client": client.pk,
        "counselor": counselor.pk,
        "session": session.pk,
        "message": message.pk,
        "escalation": escalation.pk,
        "intake": intake.pk,
        "content_types": {
            name: pk for name, pk in content_types.filter(app_label="counseling").values_list("model", "pk")
        },
    }


@pytest.fixture
def old_layout_apps():
    """The database migrated back to the layout before the move; the historical models of that state.

    Afterwards the database is migrated to the latest state again, whatever the test did, so the tests after
    this one (and pytest-django's flush) find today's schema.
    """
    _migrate(_old_layout_nodes() + [(app, None) for app in APPS_NEW_IN_THE_MOVE])
    yield MigrationExecutor(connection).loader.project_state(_old_layout_nodes()).apps
    _migrate(_latest_nodes())


@pytest.mark.django_db(transaction=True)
def test_moving_the_models_to_their_apps_keeps_every_row_and_the_audit_chain(old_layout_apps):
    assert not any(old_layout_apps.all_models.get(app) for app in APPS_NEW_IN_THE_MOVE)
    before = _fill_every_moved_table(old_layout_apps)
    tables_before = {moved: _rows(old_layout_apps.get_model("counseling", moved.__name__)) for moved in MOVED_MODELS}
    audit_before = list(old_layout_apps.get_model("counseling", "AuditEntry").objects.order_by("sequence").values())

    _migrate(_latest_nodes())
    # What `manage.py migrate` does after the plan: it would create a fresh content type for a moved model
    # whose old one was not relabelled, and leave the old one behind with its permissions.
    emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias)
    ContentType.objects.clear_cache()

    for moved, rows in tables_before.items():
        assert rows, f"{moved.__name__} was not filled"
        # Only the rows that were there: a later data migration may add rows (records 0003 seeds rules).
        kept = [row for row in _rows(moved, fields=rows[0].keys()) if row["id"] in {old["id"] for old in rows}]
        assert kept == rows, f"{moved.__name__} lost or changed rows"

    escalation = Escalation.objects.get(pk=before["escalation"])
    assert escalation.client.email == "moved.client@clients.test"
    assert escalation.counselor_id == before["counselor"]
    assert escalation.session.pk == before["session"]
    assert bytes(escalation.message.body_sealed) == b"sealed message body"
    assert [alert.recipient_id for alert in escalation.alerts.all()] == [before["counselor"]]
    assert escalation.events.get().escalation == escalation
    client = User.objects.get(pk=before["client"])
    assert client.intake.pk == before["intake"]
    assert client.code_word.hashed == "pbkdf2_sha256$placeholder"
    assert client.identity_documents.get().reviewed_by_id == before["counselor"]
    assert client.legal_holds.get().reason == "court order"
    assert client.erasure_requests.get().keep_until == datetime.date(2030, 1, 1)
    assert client.escalations.get() == escalation
    assert CodeWordCheck.objects.get(client=client).session_id == before["session"]
    assert OnCallShift.objects.get(user_id=before["counselor"]).role == "supervisor"

    # Each content type kept its id (so permissions and admin log entries stay attached) under its new app.
    for moved, app_label in MOVED_MODELS.items():
        name = moved._meta.model_name
        assert ContentType.objects.get_for_model(moved).pk == before["content_types"][name]
        assert ContentType.objects.filter(model=name, app_label__in=["counseling", app_label]).count() == 1
    assert Group.objects.get(name="Moved crisis reviewers").permissions.get() == Permission.objects.get(
        content_type__app_label="crisis", codename="view_escalation"
    )
    assert LogEntry.objects.get(object_id=str(escalation.pk), change_message="[]").get_edited_object() == escalation

    # The audit entries keep the target_type they were written with, and the chain still verifies, also
    # once an entry naming the model's new app follows them.
    assert list(AuditEntry.objects.order_by("sequence").values(*audit_before[0])) == audit_before
    assert AuditEntry.objects.filter(target_type="counseling.escalation", target_id=str(escalation.pk)).count() == 2
    assert AuditEntry.objects.filter(target_type="counseling.intake", target_id=str(before["intake"])).exists()
    assert audit_chain_verify().ok
    assert audit_record(actor=None, action="escalation.resolved", target=escalation).target_type == "crisis.escalation"
    report = audit_chain_verify()
    assert report.ok, report.problem
    assert report.checked == len(audit_before) + 1
