"""What every gate returns: allowed, or refused with a reason a person can act on.

Gates are single functions (consent_gate, identity_gate, jurisdiction_gate, session_start_gate);
views, consumers, services and tasks call the same function and never re-implement the check.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


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
    def addressed_to_counselor(self) -> GateResult:
        """The same answer as the counselor reads it: their own message and link, where the gate has one."""
        if not self.counselor_message:
            return self
        return replace(self, message=self.counselor_message, action_url=self.counselor_action_url)
