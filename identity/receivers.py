"""What identity registers with the apps below it: the retention engine learns a minor's birth date here,
and the client's own copy of their data gets its identity section."""

from identity.selectors import identity_client_export, minor_birth_date
from records.registry import RecordSource, record_source_register


def connect() -> None:
    record_source_register(RecordSource(name="identity", birth_date=minor_birth_date, export=identity_client_export))
