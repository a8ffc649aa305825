"""Treatment plans: the counselor's page for one client's plan, and the client's page of plans shared with them."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from clinical.forms_plans import GoalAddForm, GoalUpdateForm, PlanReviewForm, PlanShareForm
from clinical.selectors_plans import access_goal, plan_goals, shared_plans_for, treatment_plan_of
from clinical.services_plans import (
    plan_goal_add,
    plan_goal_update,
    treatment_plan_get_or_create,
    treatment_plan_reviewed,
    treatment_plan_share,
)
from counseling.audit import audit_record
from counseling.permissions import client_required, counselor_required
from sessions.selectors import access_caseload_client

_FORMS = {"goal_add": GoalAddForm, "goal_update": GoalUpdateForm, "review": PlanReviewForm, "share": PlanShareForm}


@counselor_required
@require_http_methods(["GET", "POST"])
def client_plan(request, client_id: int):
    """One client's treatment plan with this counselor: goals, their status, the review, sharing."""
    client = access_caseload_client(user=request.user, client_id=client_id)
    action = request.POST.get("action", "")
    if request.method == "POST":
        if action not in _FORMS:
            raise Http404
        form = _FORMS[action](request.POST)
        if form.is_valid():
            plan = treatment_plan_get_or_create(counselor=request.user, client=client)
            try:
                _act(request, plan, action, form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return redirect("clinical:client_plan", client_id=client.pk)
        bound = {action: form}
    else:
        bound = {}
    plan = treatment_plan_of(counselor=request.user, client=client)
    goals = plan_goals(plan) if plan else []
    audit_record(actor=request.user, action="treatment_plan.viewed", target=client, subject=client, request=request)
    return render(
        request,
        "clinical/plans/client_plan.html",
        {
            "client": client,
            "plan": plan,
            "goals": _goal_rows(goals, bound.get("goal_update")),
            "add_form": bound.get("goal_add") or GoalAddForm(),
            "review_form": bound.get("review")
            or PlanReviewForm(initial={"every_weeks": plan.review_every_weeks if plan else 12}),
            "share_form": bound.get("share")
            or PlanShareForm(initial={"shared": not (plan and plan.shared_with_client)}),
        },
    )


def _goal_rows(goals, failed: GoalUpdateForm | None) -> list[dict]:
    """Each goal with its update form; the one whose update was refused keeps its errors."""
    rows = []
    for view in goals:
        goal = view.goal
        if failed is not None and str(failed.data.get("goal")) == str(goal.pk):
            form = failed
        else:
            form = GoalUpdateForm(
                initial={"goal": goal.pk, "status": goal.status, "target_date": goal.target_date},
                auto_id=f"goal{goal.pk}_%s",
            )
        rows.append({"view": view, "form": form})
    return rows


def _act(request, plan, action: str, data: dict) -> None:
    counselor = request.user
    if action == "goal_add":
        plan_goal_add(
            plan=plan, counselor=counselor, text=data["text"], target_date=data["target_date"], request=request
        )
        messages.success(request, _("Goal added."))
    elif action == "goal_update":
        goal = access_goal(user=counselor, goal_id=data["goal"])
        if goal.plan_id != plan.pk:
            raise Http404
        plan_goal_update(
            goal=goal,
            counselor=counselor,
            status=data["status"],
            target_date=data["target_date"],
            text=data["text"],
            request=request,
        )
        messages.success(request, _("Goal updated."))
    elif action == "review":
        treatment_plan_reviewed(plan=plan, counselor=counselor, every_weeks=data["every_weeks"], request=request)
        messages.success(request, _("Review recorded."))
    else:
        treatment_plan_share(plan=plan, counselor=counselor, shared=data["shared"], request=request)
        messages.success(
            request, _("The client can see the plan now.") if data["shared"] else _("The plan is no longer shared.")
        )


@client_required
def my_plans(request):
    """The treatment plans the client's counselors share with them (a plan not shared is not shown)."""
    return render(
        request,
        "clinical/plans/my_plans.html",
        {"plans": [{"plan": plan, "goals": plan_goals(plan)} for plan in shared_plans_for(client=request.user)]},
    )
