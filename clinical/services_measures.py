"""Writes of the outcome measures: the counselor's schedule, and the client's response.

Each function runs in one transaction with its audit entry; the answers are sealed under the client's data key
before they are stored and never reach the audit log, a log line or a task argument.
"""

from __future__ import annotations

import json
import logging
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from clinical.instruments import INSTRUMENTS, LANGUAGES, PHQ9, score
from clinical.models import Cadence, MeasureResponse, MeasureSchedule
from clinical.signals import phq9_item9_positive
from counseling.audit import audit_record
from counseling.clock import now
from counseling.crypto import seal

log = logging.getLogger(__name__)

MAX_WEEKS = 52


def measure_schedule_set(
    *,
    counselor,
    client,
    instrument: str,
    cadence: str,
    every_weeks: int | None = None,
    active: bool = True,
    request=None,
) -> MeasureSchedule:
    """Set (or change, or stop) how often `client` fills in `instrument` for `counselor`.

    The caller has checked that the client is in the counselor's caseload (sessions.access_caseload_client).
    Raises ValidationError (code "weeks_missing") when every N weeks has no N."""
    if instrument not in INSTRUMENTS or cadence not in Cadence.values:
        raise ValidationError(_("Choose a measure and how often."), code="invalid")
    if cadence == Cadence.EVERY_N_WEEKS:
        if not every_weeks or not 1 <= every_weeks <= MAX_WEEKS:
            raise ValidationError(_("Say every how many weeks (1 to %(n)s).") % {"n": MAX_WEEKS}, code="weeks_missing")
    else:
        every_weeks = None
    at = now()
    with transaction.atomic():
        schedule, _created = MeasureSchedule.objects.update_or_create(
            client=client,
            counselor=counselor,
            instrument=instrument,
            defaults={"cadence": cadence, "every_weeks": every_weeks, "active": active, "updated_at": at},
        )
        audit_record(
            actor=counselor,
            action="measure.schedule_set",
            target=schedule,
            subject=client,
            request=request,
            detail={"instrument": instrument, "cadence": cadence, "every_weeks": every_weeks, "active": active},
        )
    return schedule


def measure_submit(*, client, schedule: MeasureSchedule, answers: list[int], language: str, request=None):
    """Store the client's answers to a scheduled measure, sealed, and return (response, score).

    A PHQ-9 whose item 9 is answered above "not at all" sends clinical.signals.phq9_item9_positive inside this
    transaction: crisis opens the escalation so that it commits with the answer. Whatever a receiver does,
    the answer is stored: a receiver that raises is logged, not allowed to undo it (crisis's own receiver
    never raises and re-checks by id after the commit if its check failed)."""
    if schedule.client_id != client.pk or not schedule.active:
        raise PermissionDenied
    result = score(instrument=schedule.instrument, answers=answers)
    language = language if language in LANGUAGES else "en"
    blob = {"answers": answers, "total": result.total, "band": result.band.key}
    with transaction.atomic():
        response = MeasureResponse(
            client=client,
            counselor_id=schedule.counselor_id,
            schedule=schedule,
            instrument=schedule.instrument,
            language=language,
            ref=uuid.uuid4(),
            submitted_at=now(),
        )
        response.answers_sealed = seal(owner_id=client.pk, plaintext=json.dumps(blob), context=response.aad)
        response.save()
        audit_record(
            actor=client,
            action="measure.submitted",
            target=response,
            subject=client,
            request=request,
            detail={"instrument": schedule.instrument, "language": language},
        )
        if schedule.instrument == PHQ9 and result.safety_answer:
            try:
                with transaction.atomic():  # a savepoint: a failing receiver rolls back only its own work
                    phq9_item9_positive.send(sender=MeasureResponse, response=response, answer=result.safety_answer)
            except Exception:
                log.exception("A receiver of phq9_item9_positive failed for response %s", response.pk)
    return response, result
