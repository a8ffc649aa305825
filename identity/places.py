"""Countries and regions as the forms offer them (ISO 3166-1 alpha-2 and ISO 3166-2 codes)."""

import re

from django.utils.translation import gettext_lazy as _

# Indonesia first (the first market), then the places clients and counselors most often are.
COUNTRY_CHOICES = [
    ("ID", _("Indonesia")),
    ("US", _("United States")),
    ("AU", _("Australia")),
    ("BN", _("Brunei")),
    ("CA", _("Canada")),
    ("CN", _("China")),
    ("DE", _("Germany")),
    ("GB", _("United Kingdom")),
    ("HK", _("Hong Kong")),
    ("IN", _("India")),
    ("JP", _("Japan")),
    ("KR", _("South Korea")),
    ("MY", _("Malaysia")),
    ("NL", _("Netherlands")),
    ("NZ", _("New Zealand")),
    ("PH", _("Philippines")),
    ("SA", _("Saudi Arabia")),
    ("SG", _("Singapore")),
    ("TH", _("Thailand")),
    ("TL", _("Timor-Leste")),
    ("TW", _("Taiwan")),
    ("AE", _("United Arab Emirates")),
    ("VN", _("Vietnam")),
]
COUNTRY_NAMES = dict(COUNTRY_CHOICES)

REGION_PATTERN = re.compile(r"^[A-Z]{2}-[A-Z0-9]{1,3}$")


def region_error(*, country: str, region: str) -> str:
    """Why a region code does not fit its country, or "" when it does (blank is allowed)."""
    if not region:
        return ""
    if not REGION_PATTERN.match(region):
        return str(_("Use an ISO 3166-2 code such as ID-JK (Jakarta) or US-TX (Texas), or leave it empty."))
    if not region.startswith(country + "-"):
        return str(_("This region is not in the country you chose."))
    return ""


def country_name(code: str) -> str:
    return str(COUNTRY_NAMES.get(code, code))
