"""Reads of treatment plans: a plan's goals opened in memory, plans due for review, the client's shared plans."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.http import Http404

from clinical.models import PlanGoal, TreatmentPlan
from counseling.clock import now
from counseling.crypto import DecryptionError, open_text
from counseling.statements import composed_for

# The counselor's dashboard lists plans whose review falls within this many days (overdue ones too).
REVIEW_SOON_DAYS = 7


@dataclass(frozen=True)
class GoalView:
    goal: PlanGoal
    text: str | None  # None: can no longer be read


def plan_goals(plan: TreatmentPlan) -> list[GoalView]:
    views = []
    for goal in plan.goals.all():
        try:
            text = open_text(owner_id=goal.client_id, sealed=goal.text_sealed, context=goal.aad)
        except DecryptionError:
            text = None
        views.append(GoalView(goal, text))
    return views


def treatment_plan_of(*, counselor, client) -> TreatmentPlan | None:
    return TreatmentPlan.objects.filter(counselor=counselor, client=client).first()


def plans_due_for_review(*, counselor, today: date | None = None):
    """The counselor's plans whose next review is within REVIEW_SOON_DAYS or overdue, soonest first."""
    today = today or now().date()
    return _plans_due(counselor=counselor, due_by=today + timedelta(days=REVIEW_SOON_DAYS))


def _plans_due(*, counselor, due_by: date):
    return (
        TreatmentPlan.objects.filter(counselor=counselor, next_review_on__lte=due_by)
        .select_related("client__client_profile")
        .order_by("next_review_on")
    )


def _plans_due_shown(*, counselor: int, due_by: date):
    # What the dashboard's panel shows of each plan, no more.
    return _plans_due(counselor=counselor, due_by=due_by).only(
        "client_id", "next_review_on", "client__client_profile__display_name"
    )


# How many plans due for review the counselor's dashboard lists.
PLANS_SHOWN = 20


def plans_due_for_review_shown(*, counselor, today: date | None = None) -> list[TreatmentPlan]:
    """The first PLANS_SHOWN of plans_due_for_review, with what the dashboard shows of each (the client's id and
    pseudonym, the review date). Its statement is composed once per process (counseling.statements)."""
    today = today or now().date()
    values = {"counselor": getattr(counselor, "pk", counselor), "due_by": today + timedelta(days=REVIEW_SOON_DAYS)}
    return composed_for(("clinical.plans_due_shown",), _plans_due_shown, values).instances(values, high=PLANS_SHOWN)


def access_goal(*, user, goal_id: int) -> PlanGoal:
    goal = PlanGoal.objects.select_related("plan").filter(pk=goal_id).first()
    if goal is None or goal.plan.counselor_id != user.pk:
        raise Http404
    return goal


def shared_plans_for(*, client):
    return TreatmentPlan.objects.filter(client=client, shared_with_client=True).select_related(
        "counselor__counselor_profile"
    )


def _shared_plan_ids(*, client):
    return TreatmentPlan.objects.filter(client_id=client, shared_with_client=True).order_by().values_list("pk")


def has_shared_plan(*, client) -> bool:
    """Whether the client has a plan shared with them (shared_plans_for(client=...).exists()), for the client's
    home: its statement is composed once per process (counseling.statements), not built and compiled on each
    load (~0.3 ms of CPU)."""
    values = {"client": client.pk}
    return bool(composed_for(("clinical.shared_plan_ids",), _shared_plan_ids, values).tuples(values, high=1))


def plans_client_export(client) -> dict:
    """The treatment plans section of the client's own copy of their data.

    A plan the counselor shares is given whole, goal texts opened in memory: the client already reads it. A plan
    not shared is listed (its goals' status and dates) without the goal texts, on the line docs/client-export.md
    takes for every text written by staff (UU PDP Pasal 33): releasing it is the counselor's step."""
    plans = []
    for plan in TreatmentPlan.objects.filter(client=client).select_related("counselor"):
        shared = plan.shared_with_client
        plans.append(
            {
                "counselor": plan.counselor.display_name,
                "shared_with_client": shared,
                "next_review_on": plan.next_review_on.isoformat() if plan.next_review_on else None,
                "goals": [
                    {
                        "text": view.text if shared else None,
                        "text_included": shared and view.text is not None,
                        "target_date": view.goal.target_date.isoformat() if view.goal.target_date else None,
                        "status": view.goal.status,
                        "created_at": view.goal.created_at.isoformat(),
                    }
                    for view in (plan_goals(plan) if shared else [GoalView(g, None) for g in plan.goals.all()])
                ],
            }
        )
    return {"plans": plans}


def plan_goals_bulk_rows(client_id: int):
    return PlanGoal.objects.filter(client_id=client_id)
