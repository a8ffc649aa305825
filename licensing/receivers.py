"""What licensing answers from the apps below it, which do not import it: the consent's disclosure of a
counselor's credentials (consent.disclosure) is the list of their verified licences; the retention engine
(records.registry) learns the places of the counselors' licences, whose law may keep a client's records."""

from consent.disclosure import counselor_credentials_register
from licensing.models import Licence
from licensing.selectors import counselor_licence_places, licence_disclosure_lines
from records.registry import RecordSource, SealedField, record_source_register, sealed_field_register


def connect() -> None:
    counselor_credentials_register("licensing", licence_disclosure_lines)
    record_source_register(RecordSource(name="licensing", counselor_places=counselor_licence_places))
    sealed_field_register(
        SealedField(model=Licence, field="evidence_sealed", owner="counselor_id", context="evidence_context")
    )
