"""Reads of the consent app."""

from django.utils.translation import gettext as _

from counseling.gates import GateResult


def consent_gate(*, client, counselor=None) -> GateResult:
    """May this client be counseled (by this counselor)? Fails closed until consent is built."""
    return GateResult.refuse("consent_missing", _("Please read and accept the terms of online counseling first."))
