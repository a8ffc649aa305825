"""Reads of the sessions app."""

from datetime import datetime

from django.http import Http404
from django.utils.translation import gettext as _

from consent.selectors import consent_gate
from counseling.clock import now
from counseling.gates import GateResult
from counseling.selectors import identity_gate
from licensing.selectors import jurisdiction_gate
from sessions.models import CounselingSession


def access_session(*, user, session_id: int) -> CounselingSession:
    """The session if `user` takes part in it, else 404 (never reveal that it exists)."""
    session = CounselingSession.objects.select_related("client", "counselor").filter(pk=session_id).first()
    if session is None or not session.is_participant(user):
        raise Http404
    return session


def session_start_gate(*, session: CounselingSession, at: datetime | None = None) -> GateResult:
    """May this session start (or its chat open) now? Every check in one place, in this order."""
    at = at or now()
    for result in (
        consent_gate(client=session.client, counselor=session.counselor),
        identity_gate(client=session.client),
    ):
        if not result:
            return result
    if session.location_confirmed_at is None:
        return GateResult.refuse("location_unconfirmed", _("Please confirm where you are before the session starts."))
    return jurisdiction_gate(counselor=session.counselor, country=session.location_country,
                             region=session.location_region, at=at)
