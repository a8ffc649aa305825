"""What identity registers with the apps below it: the retention engine learns a minor's birth date here,
the client's own copy of their data gets its identity section, and a data key rotation finds identity's
sealed fields."""

from identity.models import CodeWordOverride, IdentityDocument, Intake, SuitabilityOverride
from identity.selectors import identity_client_export, minor_birth_date
from records.registry import RecordSource, SealedField, record_source_register, sealed_field_register


def connect() -> None:
    record_source_register(RecordSource(name="identity", birth_date=minor_birth_date, export=identity_client_export))
    sealed_field_register(
        SealedField(model=Intake, field="answers_sealed", owner="client_id", context="aad"),
        SealedField(model=IdentityDocument, field="content_sealed", owner="client_id", context="aad"),
        SealedField(model=CodeWordOverride, field="reason_sealed", owner="client_id", context="aad"),
        SealedField(model=SuitabilityOverride, field="reason_sealed", owner="client_id", context="aad"),
    )
