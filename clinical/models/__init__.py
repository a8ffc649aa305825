"""One module per part of the record; each is imported here so Django finds its models."""

from clinical.models.measures import Cadence, MeasureResponse, MeasureSchedule  # noqa: F401
from clinical.models.notes import NoteAddendum, NoteRelease, NoteReminder, ProgressNote, RecordRequest, Supervision  # noqa: F401
from clinical.models.plans import GoalStatus, PlanGoal, TreatmentPlan  # noqa: F401
