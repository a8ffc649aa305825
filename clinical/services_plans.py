"""Writes of treatment plans: goals, their status, the review, sharing with the client.

Each function runs in one transaction with one audit entry; goal texts are sealed under the client's data key
and never reach the audit log. The caller has checked that the client is in the counselor's caseload."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from clinical.models import GoalStatus, PlanGoal, TreatmentPlan
from counseling.audit import audit_record
from counseling.clock import now
from counseling.crypto import seal

GOAL_MAX_CHARS = 1000
REVIEW_MAX_WEEKS = 52


def treatment_plan_get_or_create(*, counselor, client) -> TreatmentPlan:
    plan, created = TreatmentPlan.objects.get_or_create(
        client=client,
        counselor=counselor,
        defaults={"next_review_on": (now() + timedelta(weeks=12)).date()},
    )
    if created:
        audit_record(actor=counselor, action="treatment_plan.created", target=plan, subject=client)
    return plan


def _goal_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("Write the goal."), code="goal_missing")
    if len(text) > GOAL_MAX_CHARS:
        raise ValidationError(_("Keep the goal to %(n)s characters.") % {"n": GOAL_MAX_CHARS}, code="goal_too_long")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(_("The goal contains characters that are not valid text."), code="goal_invalid") from None
    return text


def plan_goal_add(*, plan: TreatmentPlan, counselor, text: str, target_date: date | None, request=None) -> PlanGoal:
    if plan.counselor_id != counselor.pk:
        raise PermissionDenied
    text = _goal_text(text)
    with transaction.atomic():
        goal = PlanGoal(plan=plan, client_id=plan.client_id, ref=uuid.uuid4(), target_date=target_date)
        goal.text_sealed = seal(owner_id=plan.client_id, plaintext=text, context=goal.aad)
        goal.save()
        TreatmentPlan.objects.filter(pk=plan.pk).update(updated_at=now())
        audit_record(
            actor=counselor,
            action="treatment_plan.goal_added",
            target=goal,
            subject=plan.client_id,
            request=request,
            detail={"plan": plan.pk, "target_date": target_date.isoformat() if target_date else None},
        )
    return goal


def plan_goal_update(
    *, goal: PlanGoal, counselor, status: str, target_date: date | None, text: str = "", request=None
) -> PlanGoal:
    """Change a goal's status and target date; a new text (a revised goal) is sealed again."""
    if goal.plan.counselor_id != counselor.pk:
        raise PermissionDenied
    if status not in GoalStatus.values:
        raise ValidationError(_("Choose a status."), code="status_invalid")
    with transaction.atomic():
        fields = ["target_date"]
        changed = {}
        if status != goal.status:
            changed["status"] = [goal.status, status]
            goal.status, goal.status_changed_at = status, now()
            fields += ["status", "status_changed_at"]
        if text.strip():
            goal.text_sealed = seal(owner_id=goal.client_id, plaintext=_goal_text(text), context=goal.aad)
            fields.append("text_sealed")
            changed["text"] = True
        goal.target_date = target_date
        goal.save(update_fields=fields)
        TreatmentPlan.objects.filter(pk=goal.plan_id).update(updated_at=now())
        audit_record(
            actor=counselor,
            action="treatment_plan.goal_updated",
            target=goal,
            subject=goal.client_id,
            request=request,
            detail={**changed, "target_date": target_date.isoformat() if target_date else None},
        )
    return goal


def treatment_plan_reviewed(*, plan: TreatmentPlan, counselor, every_weeks: int, request=None) -> TreatmentPlan:
    """The counselor reviewed the plan today: the next review is `every_weeks` weeks from now."""
    if plan.counselor_id != counselor.pk:
        raise PermissionDenied
    if not 1 <= every_weeks <= REVIEW_MAX_WEEKS:
        raise ValidationError(_("Review every 1 to %(n)s weeks.") % {"n": REVIEW_MAX_WEEKS}, code="weeks_invalid")
    at = now()
    with transaction.atomic():
        plan.review_every_weeks = every_weeks
        plan.last_reviewed_at = at
        plan.next_review_on = (at + timedelta(weeks=every_weeks)).date()
        plan.updated_at = at
        plan.save(update_fields=["review_every_weeks", "last_reviewed_at", "next_review_on", "updated_at"])
        audit_record(
            actor=counselor,
            action="treatment_plan.reviewed",
            target=plan,
            subject=plan.client_id,
            request=request,
            detail={"next_review_on": plan.next_review_on.isoformat()},
        )
    return plan


def treatment_plan_share(*, plan: TreatmentPlan, counselor, shared: bool, request=None) -> TreatmentPlan:
    """Share the plan with the client (they see it on their plan page), or stop sharing it."""
    if plan.counselor_id != counselor.pk:
        raise PermissionDenied
    with transaction.atomic():
        plan.shared_with_client = shared
        plan.shared_at = now() if shared else None
        plan.save(update_fields=["shared_with_client", "shared_at"])
        audit_record(
            actor=counselor,
            action="treatment_plan.shared" if shared else "treatment_plan.unshared",
            target=plan,
            subject=plan.client_id,
            request=request,
        )
    return plan
