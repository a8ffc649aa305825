"""Demo working hours, so the demo clients can book straight away (called by dashboards.demo)."""

from datetime import time

from sessions.models import WeeklyAvailability
from sessions.services import availability_weekly_add

DEMO_HOURS = [(time(9), time(12)), (time(13), time(17))]


def demo_availability_seed(*, counselors) -> None:
    """Monday to Friday, 09:00-12:00 and 13:00-17:00 in each counselor's own zone; once only."""
    for counselor in counselors:
        if WeeklyAvailability.objects.filter(counselor=counselor).exists():
            continue
        for weekday in range(5):
            for start, end in DEMO_HOURS:
                availability_weekly_add(counselor=counselor, weekday=weekday, start_time=start, end_time=end)
