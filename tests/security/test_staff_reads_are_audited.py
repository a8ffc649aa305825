"""Every read of a client's records by staff leaves an audit entry naming the reader, the action and the
client; the hash chain still verifies afterwards."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync

from counseling.audit import audit_chain_verify
from counseling.models import AuditEntry

# (what is read, the staff roles that may read it, the path, the audit action)
STAFF_READS = [
    ("identity document", ("admin",), "/intake/review/{document}/document/", "identity_document.viewed"),
    ("intake details for the ID review", ("admin",), "/intake/review/{document}/", "intake.viewed_for_review"),
    (
        "session start panel (location, emergency contact)",
        ("counselor_a",),
        "/sessions/{session}/chat/",
        "session.start_panel_viewed",
    ),
    (
        "code word result and location change against the intake",
        ("counselor_a",),
        "/sessions/{session}/code-word/result/",
        "code_word.result_viewed",
    ),
    (
        "conversation transcript export",
        ("counselor_a",),
        "/sessions/chat/{conversation}/transcript/",
        "transcript.export",
    ),
    ("session transcript export", ("counselor_a",), "/sessions/{session}/transcript/", "transcript.export"),
    (
        "consent history export",
        ("admin",),
        "/consent/manage/export/?email=a@clients.test&format=csv",
        "consent.history_exported",
    ),
    ("erasure request and retention duties", ("admin",), "/staff/erasure/{erasure}/", "erasure.viewed"),
    ("escalation detail", ("counselor_a", "admin"), "/staff/risk/{escalation}/", "escalation.viewed"),
    (
        "emergency card (legal name, phone, emergency contact, exact place, latest messages)",
        ("counselor_a",),
        "/staff/risk/{escalation}/card/",
        "escalation.emergency_card_opened",
    ),
    (
        "caseload client page (sessions, referrals)",
        ("counselor_a",),
        "/sessions/clients/{client}/",
        "caseload.client_viewed",
    ),
    ("session detail (times, state, location)", ("counselor_a",), "/sessions/{session}/", "session.viewed"),
    (
        "outcome measures (PHQ-9, GAD-7 scores)",
        ("counselor_a",),
        "/clinical/clients/{client}/measures/",
        "measure.viewed",
    ),
    ("treatment plan (goals)", ("counselor_a",), "/clinical/clients/{client}/plan/", "treatment_plan.viewed"),
    (
        "a new client's request (intake summary, suitability screen)",
        ("counselor_a",),
        "/sessions/requests/{session}/",
        "session.request_viewed",
    ),
    (
        "moving a session (the client's name and time zone)",
        ("counselor_a",),
        "/sessions/{session}/reschedule/",
        "session.viewed",
    ),
    ("progress note", ("counselor_a",), "/clinical/sessions/{held_session}/note/", "progress_note.viewed"),
    (
        "the client's request for her record (every signed note)",
        ("counselor_a",),
        "/clinical/record/requests/{record_request}/",
        "record_request.viewed",
    ),
]


def _path(template: str, world) -> str:
    objects = world.objects
    return template.format(
        document=objects["document"].pk,
        session=objects["session"].pk,
        client=objects["session"].client_id,
        conversation=objects["conversation"].pk,
        erasure=objects["erasure"].pk,
        escalation=objects["escalation"].pk,
        held_session=objects["held_session"].pk,
        record_request=objects["record_request"].pk,
    )


@pytest.mark.parametrize(("what", "roles", "template", "action"), STAFF_READS, ids=[row[0] for row in STAFF_READS])
def test_a_staff_read_of_client_records_is_audited(what, roles, template, action, world, browser_as, cast, monkeypatch):
    from counseling.gates import GateResult

    for name in ("consent_gate", "identity_gate", "jurisdiction_gate"):  # the start panel needs open gates
        monkeypatch.setattr(f"sessions.selectors.{name}", lambda **kw: GateResult.ok())
    client_a = cast["client_a"]
    for role in roles:
        reader = cast[role]
        before = AuditEntry.objects.count()
        response = browser_as(role).get(_path(template, world))
        assert response.status_code == 200, (what, role, response.status_code)
        entries = AuditEntry.objects.order_by("sequence")[before:]
        assert any(
            entry.actor_id == reader.pk and entry.action == action and entry.subject_id == client_a.pk
            for entry in entries
        ), (what, role, [(e.actor_id, e.action, e.subject_id) for e in entries])
    report = audit_chain_verify()
    assert report.ok, report


def test_an_outsiders_refused_read_reads_nothing_and_the_chain_holds(world, browser_as, cast):
    """Counselor B and the admin without a second factor are refused; nothing was shown, so nothing read."""
    for persona, path in (
        ("counselor_b", "/staff/risk/{escalation}/"),
        ("admin_no_mfa", "/intake/review/{document}/document/"),
    ):
        before = AuditEntry.objects.filter(action__endswith="viewed").count()
        response = browser_as(persona).get(_path(path, world))
        assert response.status_code in (302, 404)
        assert AuditEntry.objects.filter(action__endswith="viewed").count() == before
    assert audit_chain_verify().ok


@pytest.mark.django_db(transaction=True)
def test_a_break_glass_read_of_a_chat_is_audited_with_its_reason_and_each_read(cast, browser_as, monkeypatch):
    from channels.testing import WebsocketCommunicator
    from django.db import connections

    from counseling.asgi import application
    from tests.security.conftest import ORIGIN, build_chat_world
    from tests.security.test_authorization_matrix import _session_cookie

    world = build_chat_world(cast)
    conversation, admin, client_a = world.objects["conversation"], cast["admin"], cast["client_a"]
    browser = browser_as("admin")
    assert browser.get(f"/sessions/chat/{conversation.pk}/").status_code == 404  # no grant yet
    response = browser.post(
        f"/sessions/chat/{conversation.pk}/break-glass/",
        {"reason": "Client said in session she might hurt herself tonight."},
    )
    assert response.status_code == 302
    granted = AuditEntry.objects.get(action="chat.break_glass")
    assert (granted.actor_id, granted.subject_id) == (admin.pk, client_a.pk)
    assert "hurt herself" in granted.detail["reason"]
    assert browser.get(f"/sessions/chat/{conversation.pk}/").status_code == 200

    async def read_over_the_socket():
        from channels.db import database_sync_to_async

        cookie = await database_sync_to_async(_session_cookie)(admin, second_factor=True)
        communicator = WebsocketCommunicator(
            application, f"/ws/chat/{conversation.pk}/", headers=[(b"origin", ORIGIN), (b"cookie", cookie)]
        )
        connected, _ = await communicator.connect(timeout=5)
        hello = await communicator.receive_json_from(timeout=5) if connected else {}
        await communicator.disconnect()
        return connected, hello

    connected, hello = async_to_sync(read_over_the_socket)()
    assert connected and hello["read_only"] is True
    read = AuditEntry.objects.get(action="chat.break_glass_read")
    assert (read.actor_id, read.subject_id) == (admin.pk, client_a.pk)
    assert audit_chain_verify().ok
    connections.close_all()
