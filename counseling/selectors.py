"""Reads of the core app."""

from django.utils.translation import gettext as _

from counseling.gates import GateResult


def identity_gate(*, client) -> GateResult:
    """Has this client a verified identity and an emergency plan? Fails closed for now."""
    return GateResult.refuse("identity_unverified", _("Please complete your intake and identity check first."))
