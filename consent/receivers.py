"""What consent registers with the apps below it: its section of the client's own copy of their data."""

from consent.selectors import consent_client_export
from records.registry import RecordSource, record_source_register


def connect() -> None:
    record_source_register(RecordSource(name="consent", export=consent_client_export))
