"""What every gate returns: allowed, or refused with a reason a person can act on.

Gates are single functions (consent_gate, identity_gate, jurisdiction_gate, session_start_gate);
views, consumers, services and tasks call the same function and never re-implement the check.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class GateResult:
    allowed: bool
    reason: str = ""  # a stable code, e.g. "consent_missing", "licence_expired"
    message: str = ""  # shown to the person, already translated
    action_url: str = ""  # where the person can fix it, if anywhere
    # When the counselor must act, not the client (a missing licence): what the counselor reads instead.
    counselor_message: str = ""
    counselor_action_url: str = ""

    def __bool__(self) -> bool:
        return self.allowed

    @classmethod
    def ok(cls) -> GateResult:
        return cls(True)

    @classmethod
    def refuse(
        cls,
        reason: str,
        message: str,
        action_url: str = "",
        *,
        counselor_message: str = "",
        counselor_action_url: str = "",
    ) -> GateResult:
        return cls(False, reason, message, action_url, counselor_message, counselor_action_url)

    @property
    def fix_label(self) -> str:
        """The words of the link to the page that fixes this refusal (its action_url), in the active language."""
        return fix_label(self.reason)

    @property
    def addressed_to_counselor(self) -> GateResult:
        """The same answer as the counselor reads it: their own message and link, where the gate has one."""
        if not self.counselor_message:
            return self
        return replace(self, message=self.counselor_message, action_url=self.counselor_action_url)


def fix_label(reason: str) -> str:
    """What the link of a refusal says, by its reason: the page it leads to fixes it."""
    if reason == "consent_counselor_disclosure" or reason == "consent_disclosure_changed":
        return _("Read and accept the terms with this counselor's details")
    if reason.startswith("consent_"):
        return _("Read and accept the terms")
    if reason == "unsuitable_for_text":
        return _("Send a counselor a request")
    if reason == "request_waiting":
        return _("See your request")
    if reason in ("request_first", "request_too_soon"):
        return _("Choose one time")
    if reason in ("intake_missing", "emergency_plan_missing", "code_word_missing"):
        return _("Complete your intake")
    if reason == "identity_unverified":
        return _("Your ID document")
    if reason in ("location_unconfirmed", "location_stale"):
        return _("Confirm where you are for this session")
    if reason == "location_unknown":
        return _("Tell us where you are")
    if reason == "session_not_open":
        return _("See the session")
    if reason.startswith("code_word_"):
        return _("The code word")
    if reason == "email_unverified":
        return _("Resend the e-mail")
    if reason in ("caseload_full",) or reason.startswith(("licence_", "no_licence", "no_rule", "credential_")):
        return _("Choose another counselor")
    return _("Fix this")
