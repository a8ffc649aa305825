"""A held session of client A with counselor A, a supervisor (counselor B), and helpers to write notes."""

from datetime import timedelta

import pytest

from clinical.notes import note_save_draft, note_sign
from counseling import clock
from sessions.models import CounselingSession

SOAP = {
    "subjective": "rahasia-klien-A: sleeps four hours, worried about work",
    "objective": "Tired, calm, on time",
    "assessment": "Low mood, no risk named",
    "plan": "Sleep diary for two weeks",
}


def held_session(client, counselor, *, ended_hours_ago: float = 1, state: str = "completed") -> CounselingSession:
    ends = clock.now() - timedelta(hours=ended_hours_ago)
    return CounselingSession.objects.create(
        client=client,
        counselor=counselor,
        starts_at=ends - timedelta(minutes=50),
        ends_at=ends,
        state=state,
        location_country="ID",
        location_region="ID-YO",
        location_confirmed_at=ends - timedelta(hours=1),
    )


def signed_note(session, sections=None):
    note_save_draft(counselor=session.counselor, session=session, structure="soap", sections=sections or SOAP)
    return note_sign(counselor=session.counselor, session=session)


@pytest.fixture
def session_a(client_a, counselor_a):
    return held_session(client_a, counselor_a)
