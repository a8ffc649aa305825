"""Treatment plans and outcome measures follow the client's record: the client's own copy of their data holds
their answers and the plans shared with them, a data key rotation re-seals them, and crypto-shredding plus the
purge leave nothing readable or stored."""

import json
from datetime import timedelta

import pytest

from clinical.models import MeasureResponse, PlanGoal
from clinical.selectors_measures import measure_response_opened
from clinical.selectors_plans import plan_goals
from clinical.services_measures import measure_schedule_set, measure_submit
from clinical.services_plans import plan_goal_add, treatment_plan_get_or_create, treatment_plan_share
from counseling import clock, crypto
from records.services import client_purge_batch, client_shred, data_keys_rotate, last_contact_of
from sessions.models import CounselingSession
from tests.counseling.test_escalation_support import eager_celery, pushed  # noqa: F401

pytestmark = pytest.mark.usefixtures("eager_celery", "pushed")


@pytest.fixture
def record(client_a, counselor_a):
    at = clock.now() + timedelta(days=1)
    CounselingSession.objects.create(
        client=client_a, counselor=counselor_a, starts_at=at, ends_at=at + timedelta(minutes=50), state="scheduled"
    )
    schedule = measure_schedule_set(counselor=counselor_a, client=client_a, instrument="gad7", cadence="before_session")
    measure_submit(client=client_a, schedule=schedule, answers=[1, 2, 1, 2, 1, 2, 1], language="id")
    plan = treatment_plan_get_or_create(counselor=counselor_a, client=client_a)
    plan_goal_add(plan=plan, counselor=counselor_a, text="Walk outside three times a week", target_date=None)
    return plan


def _download(client, user) -> dict:
    client.force_login(user)
    response = client.get("/privacy/data/download/")
    assert response.status_code == 200
    return json.loads(response.content)


def test_the_export_holds_the_answers_and_a_shared_plan_but_not_an_unshared_plans_words(record, client, client_a):
    data = _download(client, client_a)
    (response,) = data["outcome_measures"]["responses"]
    assert (response["instrument"], response["answers"], response["total"], response["band"]) == (
        "gad7",
        [1, 2, 1, 2, 1, 2, 1],
        10,
        "moderate",
    )
    (plan,) = data["treatment_plans"]["plans"]
    assert plan["shared_with_client"] is False
    assert plan["goals"][0]["text"] is None and plan["goals"][0]["text_included"] is False
    treatment_plan_share(plan=record, counselor=record.counselor, shared=True)
    (plan,) = _download(client, client_a)["treatment_plans"]["plans"]
    assert plan["goals"][0]["text"] == "Walk outside three times a week"


def test_a_data_key_rotation_re_seals_goals_and_answers(record, client_a):
    old_key = crypto.data_key_for(owner_id=client_a.pk)
    assert data_keys_rotate(batch_size=50)["left"] == 0
    crypto.key_cache.evict()
    assert crypto.data_key_for(owner_id=client_a.pk) != old_key
    assert plan_goals(record)[0].text == "Walk outside three times a week"
    assert measure_response_opened(MeasureResponse.objects.get())["total"] == 10


def test_a_response_counts_as_contact_for_retention(record, client_a):
    assert last_contact_of(client_a.pk) >= MeasureResponse.objects.get().submitted_at


def test_shredding_makes_them_unreadable_and_the_purge_deletes_them(
    record, client_a, django_capture_on_commit_callbacks
):
    assert client_shred(client_id=client_a.pk, rule="test")
    crypto.key_cache.evict()
    assert plan_goals(record)[0].text is None
    for _batch in range(20):
        if client_purge_batch(client_id=client_a.pk, batch_size=1):
            break
    assert not PlanGoal.objects.exists() and not MeasureResponse.objects.exists()
