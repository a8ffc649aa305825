"""Reads of the outcome measures: what is due for a client, the scores over time, who may see them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Max, Subquery
from django.http import Http404

from clinical.instruments import INSTRUMENTS, PHQ9
from clinical.models import Cadence, MeasureResponse, MeasureSchedule
from counseling.clock import now
from counseling.crypto import DecryptionError, open_text
from counseling.statements import composed_for
from sessions.models import CounselingSession, SessionState

# "Before every session": the measure is due from this many hours before the next session with the counselor.
DUE_BEFORE_SESSION_HOURS = 72


@dataclass(frozen=True)
class Due:
    schedule: MeasureSchedule
    session: CounselingSession | None  # the session it is due before (cadence "before every session")


def measure_due(*, schedule: MeasureSchedule, at: datetime | None = None, last: datetime | None = None) -> Due | None:
    """Whether the schedule asks for a response now. `last`: the latest response's time, if already known."""
    at = at or now()
    if not schedule.active:
        return None
    if last is None:
        last = MeasureResponse.objects.filter(
            client_id=schedule.client_id, counselor_id=schedule.counselor_id, instrument=schedule.instrument
        ).aggregate(m=Max("submitted_at"))["m"]
    if schedule.cadence == Cadence.EVERY_N_WEEKS:
        if last is None or last <= at - timedelta(weeks=schedule.every_weeks or 1):
            return Due(schedule=schedule, session=None)
        return None
    session = (
        CounselingSession.objects.filter(
            client_id=schedule.client_id,
            counselor_id=schedule.counselor_id,
            state__in=[SessionState.SCHEDULED, SessionState.OPEN],
            starts_at__gt=at,
        )
        .order_by("starts_at")
        .first()
    )
    if session is None:
        return None
    opens = session.starts_at - timedelta(hours=DUE_BEFORE_SESSION_HOURS)
    if at < opens or (last is not None and last >= opens):
        return None
    return Due(schedule=schedule, session=session)


def _active_schedules(*, client):
    return MeasureSchedule.objects.filter(client_id=client, active=True)


def measures_due_for(*, client, at: datetime | None = None, counselors: dict | None = None) -> list[Due]:
    """Every measure the client should fill in now (the client's home shows them). `counselors`: users already
    read with their profiles, by id (the counselors of the client's sessions): a schedule by one of them takes
    that row (and its name) rather than a join."""
    at = at or now()
    found = []
    values = {"client": client.pk}
    schedules = composed_for(("clinical.active_schedules",), _active_schedules, values).instances(values)
    if counselors is not None and all(schedule.counselor_id in counselors for schedule in schedules):
        for schedule in schedules:
            schedule.counselor = counselors[schedule.counselor_id]
    else:
        schedules = MeasureSchedule.objects.filter(client=client, active=True).select_related("counselor")
    for schedule in schedules:
        due = measure_due(schedule=schedule, at=at)
        if due is not None:
            found.append(due)
    return found


def access_client_schedule(*, user, schedule_id: int) -> MeasureSchedule:
    """The client's own active schedule, else 404."""
    schedule = MeasureSchedule.objects.filter(pk=schedule_id, active=True).first()
    if schedule is None or not getattr(user, "is_client", False) or schedule.client_id != user.pk:
        raise Http404
    return schedule


def access_client_response(*, user, response_id: int) -> MeasureResponse:
    response = MeasureResponse.objects.filter(pk=response_id).first()
    if response is None or response.client_id != user.pk:
        raise Http404
    return response


def measure_response_opened(response: MeasureResponse) -> dict:
    """The sealed answers, total and band, opened in memory. Raises DecryptionError once the key is shredded."""
    return json.loads(open_text(owner_id=response.client_id, sealed=response.answers_sealed, context=response.aad))


def phq9_item9_answer(*, response_id: int) -> int | None:
    """The answer to PHQ-9 item 9 of a stored response (0-3), or None if it is not a readable PHQ-9."""
    response = MeasureResponse.objects.filter(pk=response_id, instrument=PHQ9).first()
    if response is None:
        return None
    try:
        return int(measure_response_opened(response)["answers"][8])
    except (DecryptionError, KeyError, IndexError, ValueError):
        return None


@dataclass(frozen=True)
class ScorePoint:
    response: MeasureResponse
    total: int | None  # None: can no longer be read
    band_key: str
    band_label: str


def measure_scores(*, client, counselor, instrument: str, limit: int = 52) -> list[ScorePoint]:
    """The latest `limit` scores of one instrument for the pair, oldest first, opened in memory."""
    spec = INSTRUMENTS[instrument]
    rows = list(
        MeasureResponse.objects.filter(client=client, counselor=counselor, instrument=instrument).order_by(
            "-submitted_at", "-id"
        )[:limit]
    )
    points = []
    for response in reversed(rows):
        try:
            total = int(measure_response_opened(response)["total"])
            band = spec.band(total)
            points.append(ScorePoint(response, total, band.key, str(band.label)))
        except (DecryptionError, KeyError, ValueError):
            points.append(ScorePoint(response, None, "", ""))
    return points


def measures_client_export(client) -> dict:
    """The measures section of the client's own copy of their data (records.services.client_export)."""
    schedules = [
        {
            "instrument": s.instrument,
            "cadence": s.cadence,
            "every_weeks": s.every_weeks,
            "active": s.active,
            "counselor": s.counselor.display_name,
        }
        for s in MeasureSchedule.objects.filter(client=client).select_related("counselor")
    ]
    responses = []
    for response in MeasureResponse.objects.filter(client=client).select_related("counselor"):
        try:
            opened = measure_response_opened(response)
        except (DecryptionError, ValueError):
            opened = None
        responses.append(
            {
                "instrument": response.instrument,
                "language": response.language,
                "submitted_at": response.submitted_at.isoformat(),
                "counselor": response.counselor.display_name,
                "answers": opened["answers"] if opened else None,
                "total": opened["total"] if opened else None,
                "band": opened["band"] if opened else None,
                "unreadable": opened is None,
            }
        )
    return {"schedules": schedules, "responses": responses}


def measures_bulk_rows(client_id: int):
    return MeasureResponse.objects.filter(client_id=client_id)


def client_last_measure_at(client_ref):
    """The latest response as an expression for the client row `client_ref`: a response is contact, and
    retention counts from the last contact (records.registry)."""
    return Subquery(
        MeasureResponse.objects.filter(client=client_ref).order_by("-submitted_at").values("submitted_at")[:1]
    )
