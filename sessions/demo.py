"""Demo working hours, so the demo clients can book straight away, the client the demo counselor took on, and one
request waiting for her answer (called by dashboards.demo)."""

from datetime import time

from sessions.models import ClientAcceptance, CounselingSession, SessionState, WeeklyAvailability
from sessions.selectors import next_free_slot
from sessions.services import BookingError, availability_weekly_add, session_book

DEMO_HOURS = [(time(9), time(12)), (time(13), time(17))]


def demo_availability_seed(*, counselors) -> None:
    """Monday to Friday, 09:00-12:00 and 13:00-17:00 in each counselor's own zone; once only."""
    for counselor in counselors:
        if WeeklyAvailability.objects.filter(counselor=counselor).exists():
            continue
        for weekday in range(5):
            for start, end in DEMO_HOURS:
                availability_weekly_add(counselor=counselor, weekday=weekday, start_time=start, end_time=end)


def demo_acceptance_seed(*, client, counselor) -> None:
    """The counselor took this client on earlier (their first request accepted): the client books ordinarily."""
    ClientAcceptance.objects.get_or_create(client=client, counselor=counselor)


def demo_request_seed(*, client, counselor) -> CounselingSession | None:
    """A new client's first request, waiting for the counselor's answer at her next free time; once only while one
    waits (a demo seeded long ago has let it expire, and seeding again sends a new one). None when the counselor
    cannot take the client now (her caseload is full, as in bench/pages_bench.py's database)."""
    waiting = CounselingSession.objects.filter(client=client, counselor=counselor, state=SessionState.REQUESTED)
    if waiting.exists():
        return None
    starts_at = next_free_slot(counselor=counselor)
    if starts_at is None:
        return None
    try:
        return session_book(client=client, counselor=counselor, starts_at=starts_at)
    except BookingError:
        return None
