"""The session e-mails tell the client, while their location is not confirmed for the session, from when and
where to confirm it: otherwise the chat meets them with the location gate at the start of the session."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.urls import reverse

from sessions.models import CounselingSession
from sessions.services import sessions_remind_due
from sessions.tasks import session_email_send
from tests.sessions.booking_support import run_tasks_eagerly

START = datetime(2027, 2, 1, 2, 0, tzinfo=UTC)  # 20:00 the evening before in Chicago

pytestmark = pytest.mark.django_db


def _session(client, counselor, *, confirmed_at):
    return CounselingSession.objects.create(
        client=client,
        counselor=counselor,
        starts_at=START,
        ends_at=START + timedelta(minutes=50),
        client_time_zone="America/Chicago",
        counselor_time_zone="Asia/Jakarta",
        location_country="ID",
        location_region="ID-JK",
        location_confirmed_at=confirmed_at,
    )


def _mail_to(user):
    (message,) = [m for m in mail.outbox if m.to == [user.email]]
    return message.body


def test_the_reminder_asks_the_client_to_confirm_their_location_from_when_it_counts(
    client_b, counselor_a, django_capture_on_commit_callbacks, settings, monkeypatch
):
    run_tasks_eagerly(monkeypatch)
    settings.SESSION_REMINDER_HOURS_BEFORE = 24
    settings.LOCATION_CONFIRMATION_HOURS = 24
    session = _session(client_b, counselor_a, confirmed_at=START - timedelta(days=5))  # at booking
    with django_capture_on_commit_callbacks(execute=True):
        assert sessions_remind_due(at=START - timedelta(hours=23)) == 1
    body = _mail_to(client_b)
    link = reverse("sessions:session_location", args=[session.pk])
    # From 24 hours before the start, in the client's own time: Chicago, 20:00 on the Saturday.
    assert "from Saturday 30 January 2027, 20:00 (your time): http" in body and body.count(link) == 1
    assert "only where they are licensed" in body
    assert link not in _mail_to(counselor_a)  # the counselor cannot open the client's location page


def test_the_client_reads_it_in_their_language(client_a, counselor_a, settings):
    settings.LOCATION_CONFIRMATION_HOURS = 24
    session = _session(client_a, counselor_a, confirmed_at=None)
    session_email_send(session.pk, "booked")
    body = _mail_to(client_a)
    assert "Konfirmasikan di mana Anda akan berada selama sesi, mulai Sabtu 30 Januari 2027, 20:00" in body
    assert reverse("sessions:session_location", args=[session.pk]) in body


@pytest.mark.parametrize(
    "event, confirmed_before_start",
    [
        ("reminder", timedelta(hours=2)),  # confirmed for this session already: nothing to ask
        ("cancelled", None),  # no session to confirm for
    ],
)
def test_no_location_request_when_there_is_nothing_to_confirm(
    client_b, counselor_a, settings, event, confirmed_before_start
):
    settings.LOCATION_CONFIRMATION_HOURS = 24
    confirmed_at = START - confirmed_before_start if confirmed_before_start else None
    session = _session(client_b, counselor_a, confirmed_at=confirmed_at)
    session_email_send(session.pk, event)
    body = _mail_to(client_b)
    assert reverse("sessions:session_location", args=[session.pk]) not in body
    assert "Confirm where you will be" not in body
