"""The risk queue's rows (crisis.selectors.risk_queue_rows) are plain values read in one statement: each is exactly
what risk_queue()'s escalation instances give, in the same order, for everyone who may see the queue."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from counseling import clock
from counseling.models import Role, User
from crisis.models import Escalation, EscalationAlert, EscalationState, OnCallShift, Rung
from crisis.selectors import drills_for, risk_queue, risk_queue_rows
from tests.conftest import PASSWORD, make_client, make_counselor


def _as_the_instances_give(queue) -> list[tuple]:
    return [
        (
            escalation.pk,
            escalation.severity,
            escalation.created_at,
            "" if escalation.client is None else escalation.client.display_name,
            escalation.get_severity_display(),
            escalation.get_kind_display(),
            escalation.get_state_display(),
            escalation.get_rung_display(),
        )
        for escalation in queue
    ]


@pytest.fixture
def queue_cast(db, counselor_a, client_a, client_b):
    now = clock.now()
    # no client profile: named from the e-mail address; a counselor's account as the client: their profile's name
    bare = User.objects.create_user(email="bare.name@clients.test", password=PASSWORD, role=Role.CLIENT)
    odd = make_counselor("odd@staff.test", "Counselor as client")
    clients = [client_a, client_b, bare, odd, make_client("c@clients.test", 'C <b>&</b> "see"')]
    escalations = []
    for i, (client, severity, state, rung) in enumerate(
        [
            (clients[0], 2, EscalationState.OPEN, Rung.COUNSELOR),
            (clients[1], 3, EscalationState.ACKNOWLEDGED, Rung.ON_CALL),
            (clients[2], 3, EscalationState.OPEN, Rung.SUPERVISOR),
            (clients[3], 1, EscalationState.OPEN, Rung.ADMIN),
            (clients[4], 2, EscalationState.ACKNOWLEDGED, Rung.COUNSELOR),
            (clients[0], 3, EscalationState.RESOLVED, Rung.COUNSELOR),
        ]
    ):
        escalations.append(
            Escalation.objects.create(
                client=client,
                counselor=counselor_a if i % 2 else None,
                kind=["help_button", "risk_phrase", "reply_overdue"][i % 3],
                severity=severity,
                state=state,
                rung=rung,
                dedupe_key=f"rows:{i}",
                created_at=now - timedelta(minutes=7 * i + 3, hours=i),
            )
        )
    Escalation.objects.create(kind="drill", severity=3, dedupe_key="rows:drill", counselor=counselor_a)
    # alerted twice on one escalation: listed once (the counselor's query is DISTINCT)
    for rung in (Rung.COUNSELOR, Rung.ON_CALL):
        EscalationAlert.objects.create(escalation=escalations[2], recipient=counselor_a, rung=rung)
    return escalations


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_rows_are_the_values_of_the_queues_instances(queue_cast, counselor_a, counselor_b, admin_user, language):
    """The statements are composed once per process (crisis.selectors._queue_values): each person's rows are
    still their own, whoever asked first."""
    EscalationAlert.objects.create(escalation=queue_cast[0], recipient=counselor_b, rung=Rung.COUNSELOR)
    on_call = make_counselor("on.call@staff.test", "On call")
    OnCallShift.objects.create(
        user=on_call,
        role="on_call",
        starts_at=clock.now() - timedelta(hours=1),
        ends_at=clock.now() + timedelta(hours=1),
    )
    with translation.override(language):
        assert [row.pk for row in risk_queue_rows(user=counselor_b)] == [queue_cast[0].pk]
        assert len(risk_queue_rows(user=on_call)) == 5
        for user in (admin_user, counselor_a, counselor_b, on_call):
            rows = risk_queue_rows(user=user)
            assert [tuple(row) for row in rows] == _as_the_instances_give(risk_queue(user=user))
        assert len(risk_queue_rows(user=admin_user)) == 5
        names = [row.client_name for row in risk_queue_rows(user=admin_user)]
        assert {"bare.name", "Counselor as client", 'C <b>&</b> "see"', "Client A", "Client B"} == set(names)
        assert [row.pk for row in risk_queue_rows(user=counselor_a)] == [queue_cast[i].pk for i in (2, 1, 3)]


def test_clients_with_their_profile_are_read_in_one_statement(queue_cast, admin_user, counselor_a):
    with CaptureQueriesContext(connection) as queries:
        risk_queue_rows(user=admin_user)
    assert len(queries) == 2  # the queue, and the two clients without a client profile
    Escalation.objects.filter(client__client_profile__isnull=True).delete()
    with CaptureQueriesContext(connection) as queries:
        assert len(risk_queue_rows(user=admin_user)) == 3
    assert len(queries) == 1


def test_a_roster_shift_running_at_the_moment_shows_every_escalation(queue_cast, counselor_b):
    """The on-shift check (its statement composed once): a shift counts from its start, up to but not at its end."""
    at = clock.now()
    shift = OnCallShift.objects.create(
        user=counselor_b, role="supervisor", starts_at=at - timedelta(hours=2), ends_at=at
    )
    assert risk_queue_rows(user=counselor_b, at=at) == []
    assert len(risk_queue_rows(user=counselor_b, at=at - timedelta(seconds=1))) == 5
    OnCallShift.objects.filter(pk=shift.pk).update(starts_at=at, ends_at=at + timedelta(hours=1))
    assert len(risk_queue_rows(user=counselor_b, at=at)) == 5
    assert risk_queue_rows(user=counselor_b, at=at - timedelta(microseconds=1)) == []


def test_the_drills_listed_are_the_latest_for_admins_and_the_live_ones_alerting_a_counselor(
    db, counselor_a, counselor_b, admin_user
):
    """drills_for reads with statements composed once per process: the same drills, in the same order, as the
    ORM's queries it replaced (kept here as the reference), for each person whoever asked first."""
    now = clock.now()
    drills = [
        Escalation.objects.create(
            kind="drill",
            severity=3,
            dedupe_key=f"drill:{i}",
            counselor=counselor_a,
            state=EscalationState.RESOLVED if i % 4 == 0 else EscalationState.OPEN,
            created_at=now - timedelta(minutes=13 * i),
        )
        for i in range(13)
    ]
    for i, drill in enumerate(drills):
        for rung in (Rung.COUNSELOR, Rung.ON_CALL)[: 1 + i % 2]:  # twice on some: listed once
            EscalationAlert.objects.create(escalation=drill, recipient=counselor_a if i % 3 else counselor_b, rung=rung)

    def reference(user):
        found = Escalation.objects.filter(kind="drill").order_by("-created_at")
        if user.role != Role.ADMIN:
            found = found.exclude(state=EscalationState.RESOLVED).filter(alerts__recipient=user).distinct()
        return [drill.pk for drill in found[:10]]

    for user in (counselor_b, admin_user, counselor_a):
        assert [drill.pk for drill in drills_for(user=user)] == reference(user)
    assert [drill.pk for drill in drills_for(user=admin_user)] == [drill.pk for drill in drills[:10]]
    assert [drill.pk for drill in drills_for(user=counselor_b)] == [drills[i].pk for i in (3, 6, 9)]
    assert [drill.pk for drill in drills_for(user=counselor_a, limit=3)] == [drills[i].pk for i in (1, 2, 5)]
    assert all(drill.is_live and drill.created_at for drill in drills_for(user=counselor_a))
