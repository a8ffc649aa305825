"""What licensing answers from the apps below it, which do not import it: the consent's disclosure of a
counselor's credentials (consent.disclosure) is the list of their verified licences."""

from consent.disclosure import counselor_credentials_register
from licensing.selectors import licence_disclosure_lines


def connect() -> None:
    counselor_credentials_register("licensing", licence_disclosure_lines)
