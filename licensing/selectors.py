"""Reads of the licensing app."""

from datetime import datetime

from django.utils.translation import gettext as _

from counseling.gates import GateResult


def jurisdiction_gate(*, counselor, country: str, region: str = "", at: datetime) -> GateResult:
    """May `counselor` counsel a client located in country/region at `at`? Fails closed for now."""
    return GateResult.refuse("no_licence_there", _("This counselor holds no verified licence where you are."))
