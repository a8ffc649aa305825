"""Reads of the core app."""

from django.utils.translation import gettext as _

from counseling.gates import GateResult


def identity_gate(*, client) -> GateResult:
    """Has this client a verified identity and an emergency plan? (ACA H.3; HHS emergency planning)

    Allowed only with a verified ID document, a complete intake with an authorised emergency contact
    and a plan for a dropped connection, a passed suitability screen and a code word.
    """
    from django.urls import reverse

    from counseling.identity_selectors import has_code_word, identity_status_for, intake_for

    url = reverse("intake:home")
    intake = intake_for(client=client)
    if intake is None:
        return GateResult.refuse("intake_missing", _("Please complete your intake first."), url)
    if not intake.has_emergency_plan:
        return GateResult.refuse("emergency_plan_missing",
                                 _("Please complete your emergency plan: an emergency contact you allow us to "
                                   "call, and what to do if the connection drops."), url)
    if not intake.suitability_passed:
        return GateResult.refuse("unsuitable_for_text",
                                 _("From your intake, text counseling may not be safe or private enough for "
                                   "you now. Please talk to us about face-to-face care."), url)
    if not has_code_word(client=client):
        return GateResult.refuse("code_word_missing", _("Please choose a code word."), url)
    status = identity_status_for(client=client)
    if status != "verified":
        message = {
            "pending": _("Your identity document is waiting for review."),
            "rejected": _("Your identity document was not accepted. Please upload another one."),
        }.get(status, _("Please upload an identity document."))
        return GateResult.refuse("identity_unverified", message, url)
    return GateResult.ok()


def emergency_numbers_for(*, country: str, region: str = ""):
    """The emergency and crisis numbers for a place (see counseling.identity_selectors)."""
    from counseling.identity_selectors import emergency_numbers_for as numbers

    return numbers(country=country, region=region)
