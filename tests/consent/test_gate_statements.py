"""The consent gate's acceptances and the shared read of a counselor's licences, read with statements composed once
per process (counseling.statements.composed_for): what the ORM's querysets give, for any values."""

from datetime import timedelta

import pytest

from consent.models import ConsentAcceptance
from consent.rendering import consent_render
from consent.selectors import (
    _acceptances_with_version_in_force,
    _gate_acceptances,
    _gate_acceptances_read,
    _GateAcceptance,
    _status_acceptances,
)
from consent.services import consent_draft_create, consent_version_publish, consent_withdraw
from counseling.clock import now
from counseling.statements import composed_for
from licensing.selectors import _counselor_licences
from tests.composed import assert_same_instances
from tests.consent.conftest import accept_current
from tests.licensing.factories import licence

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(client_a, client_b, counselor_a, admin_user):
    """Acceptances of two clients: general, with a counselor, of a version no longer in force, withdrawn."""
    accept_current(client_a)
    accept_current(client_a, counselor=counselor_a)
    accept_current(client_b, language="en")
    consent_version_publish(version=consent_draft_create(language="id", created_by=admin_user), actor=admin_user)
    accept_current(client_a, counselor=counselor_a)
    accept_current(client_b, counselor=counselor_a)
    consent_withdraw(client=client_b)
    assert ConsentAcceptance.objects.count() == 5


def test_the_gates_acceptances_are_the_orms(history, client_a, client_b, counselor_a):
    for clients in ([client_a.pk], [client_b.pk], [client_a.pk, client_b.pk], [client_b.pk, client_a.pk, 999_999]):
        for at in (now(), now() - timedelta(days=400), now() + timedelta(days=1)):
            values = {"clients": clients, "at": at}
            got = composed_for(("test.gates",), _gate_acceptances, values).tuples(values)
            expected = list(_gate_acceptances(clients=clients, at=at))
            assert sorted(got, key=lambda row: row[0]) == sorted(expected, key=lambda row: row[0])
            assert all(type(row) is tuple for row in got)


def test_the_gates_rows_hold_what_the_orms_instances_hold(history, client_a, client_b):
    rows = _gate_acceptances_read(clients=[client_a.pk, client_b.pk])
    instances = {
        acceptance.pk: acceptance
        for acceptance in _acceptances_with_version_in_force(ConsentAcceptance.objects.all(), at=now())
    }
    assert sorted(row.pk for row in rows) == sorted(instances)
    for row in rows:
        instance = instances[row.pk]
        for name in _GateAcceptance._fields:
            if name != "version":
                assert getattr(row, name) == getattr(instance, name), name
        for name in ("pk", "language", "number", "status", "effective_at", "published_at", "is_published"):
            assert getattr(row.version, name) == getattr(instance.version, name), name
        assert row.version._state.adding is False
        assert consent_render(version=row.version).text == consent_render(version=instance.version).text
    # client_a's two acceptances of the version before are not in force, the one of the new version is.
    assert sorted(row.version_in_force for row in rows if row.client_id == client_a.pk) == [False, False, True]
    # One instance per version, shared by its rows.
    by_version = {}
    for row in rows:
        assert by_version.setdefault(row.version_id, row.version) is row.version


def test_the_status_acceptances_are_the_orms_with_their_counselors(history, client_a, client_b):
    for with_counselors in (False, True):

        def build(*, client, at, with_counselors=with_counselors):
            return _status_acceptances(client=client, at=at, with_counselors=with_counselors)

        for client in (client_a, client_b):
            values = {"client": client.pk, "at": now()}
            got = composed_for(("test.status", with_counselors), build, values).instances(values)
            assert_same_instances(got, list(build(client=client.pk, at=now())))


def test_the_licences_are_the_orms(counselor_a, counselor_b):
    licence(counselor_a, "ID", number="STR-1")
    licence(counselor_a, "ID", kind="sipp", number="SIPP-2", valid_from=now().date() - timedelta(days=3))
    licence(counselor_b, "ID", number="STR-3", state="submitted")
    for counselor in (counselor_a, counselor_b):
        values = {"counselor": counselor.pk}
        got = composed_for(("test.licences",), _counselor_licences, values).instances(values)
        assert_same_instances(got, list(_counselor_licences(counselor=counselor.pk)))
        assert all(isinstance(item.valid_from, type(now().date())) for item in got)


def test_datetimes_come_back_aware_as_the_orm_gives_them(history, client_a):
    got = _gate_acceptances_read(clients=[client_a.pk])
    assert all(acceptance.accepted_at.tzinfo is not None for acceptance in got)
    assert all(acceptance.version.effective_at.tzinfo is not None for acceptance in got)


def test_no_clients_have_no_acceptances(history):
    assert _gate_acceptances_read(clients=[]) == []
