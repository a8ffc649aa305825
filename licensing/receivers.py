"""What licensing answers from the apps below it, which do not import it: the consent's disclosure of a
counselor's credentials (consent.disclosure) is the list of their verified licences."""

from consent.disclosure import counselor_credentials_register
from licensing.models import Licence
from licensing.selectors import licence_disclosure_lines
from records.registry import SealedField, sealed_field_register


def connect() -> None:
    counselor_credentials_register("licensing", licence_disclosure_lines)
    sealed_field_register(
        SealedField(model=Licence, field="evidence_sealed", owner="counselor_id", context="evidence_context")
    )
