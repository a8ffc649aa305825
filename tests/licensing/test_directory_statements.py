"""The directory's reads of a client's intake with their time zone and of their open lapse notices, read with
statements composed once per process (counseling.statements.composed_for): what the ORM's querysets give."""

import json
from datetime import timedelta

import pytest

from counseling.clock import now
from counseling.crypto import seal
from counseling.models import Role, User
from identity.models import Intake
from identity.selectors import _intake_with_time_zone, intake_for, intake_with_time_zone
from licensing.models import LapseNotice
from licensing.selectors import open_lapse_notices
from tests.composed import assert_same_instances
from tests.conftest import make_client
from tests.licensing.factories import licence

pytestmark = pytest.mark.django_db


def _intake(client, **answers) -> None:
    Intake.objects.create(
        client=client,
        answers_sealed=seal(owner_id=client.pk, plaintext=json.dumps(answers), context=f"intake:{client.pk}"),
    )


def test_the_intake_with_the_time_zone_is_the_orms(client_a, client_b):
    _intake(client_a, country="ID", region="ID-JK")
    _intake(client_b, country="US", region="US-TX")
    without_profile = User.objects.create_user(email="np@clients.test", password="x-Secret-123", role=Role.CLIENT)
    _intake(without_profile, country="ID")
    without_intake = make_client("c@clients.test", "Client C")
    for client, zone in [(client_a, "Asia/Jakarta"), (client_b, "America/Chicago"), (without_profile, None)]:
        got = intake_with_time_zone(client=client)
        assert_same_instances([got], list(_intake_with_time_zone(client=client.pk)))
        assert got.client_time_zone == zone
        assert got.client_id == client.pk
        assert bytes(got.answers_sealed) == bytes(intake_for(client=client).answers_sealed)
    assert intake_with_time_zone(client=without_intake) is None


def test_the_open_lapse_notices_are_the_orms(client_a, client_b, counselor_a, counselor_b):
    first, second = licence(counselor_a, "ID"), licence(counselor_b, "US-KS", number="KS-1")
    at = now()
    LapseNotice.objects.create(client=client_a, counselor=counselor_a, licence=first, created_at=at - timedelta(days=2))
    LapseNotice.objects.create(client=client_a, counselor=counselor_b, licence=second, created_at=at)
    LapseNotice.objects.create(client=client_b, counselor=counselor_a, licence=first, dismissed_at=at)
    without = make_client("c@clients.test", "Client C")
    for client in (client_a, client_b, without):
        expected = list(
            LapseNotice.objects.filter(client=client, dismissed_at__isnull=True).select_related(
                "counselor__counselor_profile", "licence__jurisdiction"
            )
        )
        got = open_lapse_notices(client=client)
        assert [notice.pk for notice in got] == [notice.pk for notice in expected]  # newest first
        if expected:
            assert_same_instances(got, expected)
    assert len(open_lapse_notices(client=client_a)) == 2
    assert open_lapse_notices(client=client_b) == [] and open_lapse_notices(client=without) == []
