"""The demo cast can book straight away: the demo counselors have working hours."""

import pytest

from counseling.models import User
from dashboards.demo import demo_seed
from sessions.models import WeeklyAvailability

pytestmark = pytest.mark.django_db


def test_demo_counselors_get_weekday_hours_once():
    demo_seed()
    demo_seed()
    for email in ("counselor.sari@demo.test", "counselor.ben@demo.test"):
        counselor = User.objects.get(email=email)
        assert WeeklyAvailability.objects.filter(counselor=counselor).count() == 10
