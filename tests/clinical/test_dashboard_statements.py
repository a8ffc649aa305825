"""The caseload's treatment plans due for review and pending record requests, read with statements composed once per
process (counseling.statements.composed_for): what the ORM's querysets give, for any counselor and day."""

from datetime import date, timedelta

import pytest

from clinical.models import TreatmentPlan
from clinical.models.notes import RecordRequest, RecordRequestState
from clinical.record_access import record_requests_pending, record_requests_pending_read
from clinical.selectors_plans import PLANS_SHOWN, plans_due_for_review, plans_due_for_review_shown
from counseling.clock import now
from tests.composed import assert_same_instances
from tests.conftest import make_client

pytestmark = pytest.mark.django_db

TODAY = date(2027, 2, 10)


@pytest.fixture
def plans(counselor_a, counselor_b, client_a, client_b):
    """Plans of both counselors: overdue, due this week, due later, and one never scheduled."""
    reviews = {client_a: TODAY - timedelta(days=30), client_b: TODAY + timedelta(days=7)}
    for client, review in reviews.items():
        TreatmentPlan.objects.create(counselor=counselor_a, client=client, next_review_on=review)
    TreatmentPlan.objects.create(counselor=counselor_b, client=client_a, next_review_on=TODAY + timedelta(days=3))
    TreatmentPlan.objects.create(counselor=counselor_b, client=client_b, next_review_on=None)
    later = make_client("c@clients.test", "Client C")
    TreatmentPlan.objects.create(counselor=counselor_a, client=later, next_review_on=TODAY + timedelta(days=8))


def test_the_plans_due_for_review_are_the_orms(plans, counselor_a, counselor_b):
    for counselor in (counselor_a, counselor_b):
        for today in (TODAY, TODAY - timedelta(days=31), TODAY + timedelta(days=1), TODAY + timedelta(days=400)):
            expected = list(
                plans_due_for_review(counselor=counselor, today=today).only(
                    "client_id", "next_review_on", "client__client_profile__display_name"
                )[:PLANS_SHOWN]
            )
            got = plans_due_for_review_shown(counselor=counselor, today=today)
            assert [plan.pk for plan in got] == [plan.pk for plan in expected]  # soonest first
            assert_same_instances(got, expected)
    assert len(plans_due_for_review_shown(counselor=counselor_a, today=TODAY)) == 2
    assert len(plans_due_for_review_shown(counselor=counselor_a, today=TODAY + timedelta(days=1))) == 3
    assert plans_due_for_review_shown(counselor=counselor_b, today=TODAY - timedelta(days=31)) == []


def test_no_more_plans_than_the_dashboard_shows(counselor_a):
    for number in range(PLANS_SHOWN + 2):
        client = make_client(f"many{number}@clients.test", f"Many {number}")
        review = TODAY - timedelta(days=number)
        TreatmentPlan.objects.create(counselor=counselor_a, client=client, next_review_on=review)
    got = plans_due_for_review_shown(counselor=counselor_a, today=TODAY)
    expected = list(plans_due_for_review(counselor=counselor_a, today=TODAY))[:PLANS_SHOWN]
    assert [plan.pk for plan in got] == [plan.pk for plan in expected]


def test_the_pending_record_requests_are_the_orms(counselor_a, counselor_b, client_a, client_b):
    at = now()
    RecordRequest.objects.create(client=client_a, counselor=counselor_a, created_at=at - timedelta(days=2))
    RecordRequest.objects.create(
        client=client_b, counselor=counselor_a, state=RecordRequestState.ANSWERED, created_at=at - timedelta(days=1)
    )
    RecordRequest.objects.create(client=client_b, counselor=counselor_b, created_at=at)
    later = make_client("c@clients.test", "Client C")
    RecordRequest.objects.create(client=later, counselor=counselor_a, created_at=at - timedelta(hours=1))
    for counselor in (counselor_a, counselor_b):
        got = record_requests_pending_read(counselor=counselor)
        expected = list(record_requests_pending(counselor=counselor))
        assert [row.pk for row in got] == [row.pk for row in expected]  # newest first
        assert_same_instances(got, expected)
        assert [row.client.client_profile.display_name for row in got] == [
            row.client.client_profile.display_name for row in expected
        ]
    assert len(record_requests_pending_read(counselor=counselor_a)) == 2
