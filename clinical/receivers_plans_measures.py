"""What treatment plans and outcome measures register with the apps below them: their sections of the client's
own copy of their data, their rows for retention's bounded deletion, and their sealed fields for a data key
rotation (crypto-shredding needs nothing more: everything is sealed under the client's one data key)."""

from clinical.models import MeasureResponse, PlanGoal
from clinical.selectors_measures import client_last_measure_at, measures_bulk_rows, measures_client_export
from clinical.selectors_plans import plan_goals_bulk_rows, plans_client_export
from records.registry import RecordSource, SealedField, record_source_register, sealed_field_register


def connect() -> None:
    record_source_register(
        RecordSource(name="treatment_plans", bulk_rows=plan_goals_bulk_rows, export=plans_client_export)
    )
    record_source_register(
        RecordSource(
            name="outcome_measures",
            last_contact=(client_last_measure_at,),
            bulk_rows=measures_bulk_rows,
            export=measures_client_export,
        )
    )
    sealed_field_register(
        SealedField(model=PlanGoal, field="text_sealed", owner="client_id", context="aad"),
        SealedField(model=MeasureResponse, field="answers_sealed", owner="client_id", context="aad"),
    )
