"""Treatment plans: goals with target dates and a status, sealed under the client's key; reviewed on a schedule the
counselor's dashboard keeps in view; seen by the client only while shared; read and written by the client's own
counselor only, every step audited."""

from datetime import date, timedelta

import pytest

from clinical.models import GoalStatus, PlanGoal, TreatmentPlan
from clinical.selectors_plans import plan_goals, plans_due_for_review
from clinical.services_plans import plan_goal_add, treatment_plan_get_or_create, treatment_plan_reviewed
from counseling import clock
from counseling.models import AuditEntry
from sessions.models import CounselingSession

GOAL = "Sleep at least six hours on most nights"


@pytest.fixture
def pair(client_a, counselor_a):
    at = clock.now() + timedelta(days=1)
    CounselingSession.objects.create(
        client=client_a, counselor=counselor_a, starts_at=at, ends_at=at + timedelta(minutes=50), state="scheduled"
    )
    return client_a, counselor_a


@pytest.fixture
def plan(pair):
    client_a, counselor_a = pair
    plan = treatment_plan_get_or_create(counselor=counselor_a, client=client_a)
    plan_goal_add(plan=plan, counselor=counselor_a, text=GOAL, target_date=date(2027, 3, 1))
    return plan


def plan_url(client) -> str:
    return f"/clinical/clients/{client.pk}/plan/"


def test_the_counselor_adds_a_goal_sealed_under_the_clients_key(pair, client, staff_login):
    client_a, counselor_a = pair
    staff_login(client, counselor_a)
    response = client.post(plan_url(client_a), {"action": "goal_add", "text": GOAL, "target_date": "2027-03-01"})
    assert response.status_code == 302
    goal = PlanGoal.objects.get()
    assert GOAL.encode() not in bytes(goal.text_sealed)
    assert goal.status == GoalStatus.ACTIVE and goal.target_date == date(2027, 3, 1)
    assert [view.text for view in plan_goals(goal.plan)] == [GOAL]
    assert AuditEntry.objects.filter(action="treatment_plan.goal_added", subject_id=client_a.pk).exists()
    assert GOAL not in str(list(AuditEntry.objects.values_list("detail", flat=True)))


def test_an_empty_goal_is_refused_with_a_message(pair, client, staff_login):
    client_a, counselor_a = pair
    staff_login(client, counselor_a)
    response = client.post(plan_url(client_a), {"action": "goal_add", "text": "   "})
    assert response.status_code == 200
    assert not PlanGoal.objects.exists()
    assert 'class="error"' in response.content.decode() or "form-errors" in response.content.decode()


def test_the_counselor_marks_a_goal_met_and_revises_another(plan, client, staff_login):
    staff_login(client, plan.counselor)
    goal = plan.goals.get()
    url = plan_url(plan.client)
    client.post(url, {"action": "goal_update", "goal": goal.pk, "status": "revised", "text": "Sleep seven hours"})
    goal.refresh_from_db()
    assert goal.status == GoalStatus.REVISED
    assert plan_goals(plan)[0].text == "Sleep seven hours"
    client.post(url, {"action": "goal_update", "goal": goal.pk, "status": "met", "target_date": "2027-02-01"})
    goal.refresh_from_db()
    assert (goal.status, goal.target_date) == (GoalStatus.MET, date(2027, 2, 1))
    assert plan_goals(plan)[0].text == "Sleep seven hours"  # an empty text keeps the words
    assert AuditEntry.objects.filter(action="treatment_plan.goal_updated").count() == 2


def test_a_review_sets_the_next_review_date(plan, client, staff_login):
    staff_login(client, plan.counselor)
    client.post(plan_url(plan.client), {"action": "review", "every_weeks": "6"})
    plan.refresh_from_db()
    assert plan.next_review_on == (clock.now() + timedelta(weeks=6)).date()
    assert plan.last_reviewed_at is not None


def test_the_dashboard_lists_plans_due_for_review(plan, client, staff_login):
    TreatmentPlan.objects.filter(pk=plan.pk).update(next_review_on=clock.now().date() - timedelta(days=1))
    assert list(plans_due_for_review(counselor=plan.counselor)) == [plan]
    staff_login(client, plan.counselor)
    page = client.get("/counselor/").content.decode()
    assert 'id="plans-to-review"' in page and plan_url(plan.client) in page
    treatment_plan_reviewed(plan=plan, counselor=plan.counselor, every_weeks=12)
    assert list(plans_due_for_review(counselor=plan.counselor)) == []
    assert 'id="plans-to-review"' not in client.get("/counselor/").content.decode()


def test_the_client_sees_the_plan_only_while_it_is_shared(plan, client, staff_login, client_a):
    client.force_login(client_a)
    assert GOAL not in client.get("/clinical/plan/").content.decode()
    assert "/clinical/plan/" not in client.get("/client/").content.decode()
    counselor = plan.counselor
    from django.test import Client

    staff = staff_login(Client(), counselor)
    staff.post(plan_url(client_a), {"action": "share", "shared": "on"})
    assert GOAL in client.get("/clinical/plan/").content.decode()
    assert "/clinical/plan/" in client.get("/client/").content.decode()
    staff.post(plan_url(client_a), {"action": "share", "shared": ""})
    assert GOAL not in client.get("/clinical/plan/").content.decode()
    assert AuditEntry.objects.filter(action="treatment_plan.shared").exists()
    assert AuditEntry.objects.filter(action="treatment_plan.unshared").exists()


def test_the_counselors_read_of_the_plan_is_audited(plan, client, staff_login):
    staff_login(client, plan.counselor)
    assert GOAL in client.get(plan_url(plan.client)).content.decode()
    assert AuditEntry.objects.filter(action="treatment_plan.viewed", subject_id=plan.client_id).exists()


@pytest.mark.parametrize("who", ["counselor_b", "client_a", "client_b", "admin_user"])
def test_nobody_but_the_clients_counselor_opens_or_changes_the_plan(plan, who, request, client, staff_login):
    user = request.getfixturevalue(who)
    if who in ("counselor_b", "admin_user"):
        staff_login(client, user)
    else:
        client.force_login(user)
    assert client.get(plan_url(plan.client)).status_code in (403, 404)
    goal = plan.goals.get()
    response = client.post(plan_url(plan.client), {"action": "goal_update", "goal": goal.pk, "status": "met"})
    assert response.status_code in (403, 404)
    goal.refresh_from_db()
    assert goal.status == GoalStatus.ACTIVE


def test_another_counselor_cannot_change_a_goal_through_their_own_clients_page(
    plan, client_b, counselor_b, client, staff_login
):
    at = clock.now() + timedelta(days=2)
    CounselingSession.objects.create(
        client=client_b, counselor=counselor_b, starts_at=at, ends_at=at + timedelta(minutes=50), state="scheduled"
    )
    staff_login(client, counselor_b)
    goal = plan.goals.get()
    response = client.post(plan_url(client_b), {"action": "goal_update", "goal": goal.pk, "status": "discontinued"})
    assert response.status_code == 404
    goal.refresh_from_db()
    assert goal.status == GoalStatus.ACTIVE
