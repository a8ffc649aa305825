"""A location confirmed for a session counts only from LOCATION_CONFIRMATION_HOURS before it starts (ACA H.1.b:
the law and the emergency numbers of where the client is at the time). One given at booking, days ahead, is
asked for again; the client is shown when, and where to do it."""

from datetime import timedelta

import pytest
from django.urls import reverse

from counseling.clock import now
from counseling.gates import GateResult
from identity.selectors import intake_for
from sessions.models import Conversation, CounselingSession
from sessions.selectors import client_location, client_sessions, session_start_gate
from sessions.services import session_location_confirm
from tests.counseling.test_intake import complete_intake
from tests.sessions.chat_helpers import chat_application, chat_path, chat_socket

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_gates_open(monkeypatch):
    for name in ("consent_gate", "identity_gate", "jurisdiction_gate"):
        monkeypatch.setattr(f"sessions.selectors.{name}", lambda **kw: GateResult.ok())


def session_starting(client, counselor, *, in_hours: float, state="scheduled") -> CounselingSession:
    start = now() + timedelta(hours=in_hours)
    return CounselingSession.objects.create(
        client=client, counselor=counselor, starts_at=start, ends_at=start + timedelta(minutes=50), state=state
    )


def confirmed_hours_before_start(session, hours: float) -> CounselingSession:
    session.location_country, session.location_region = "ID", "ID-YO"
    session.location_confirmed_at = session.starts_at - timedelta(hours=hours)
    session.save()
    return session


def test_a_location_confirmed_at_booking_days_ahead_is_asked_for_again_on_the_day(
    client_a, counselor_a, other_gates_open, settings
):
    settings.LOCATION_CONFIRMATION_HOURS = 24
    session = session_starting(client_a, counselor_a, in_hours=72)
    session_location_confirm(session=session, client=client_a, country="ID", region="ID-YO")
    session.refresh_from_db()
    refused = session_start_gate(session=session, at=session.starts_at)
    assert (refused.allowed, refused.reason) == (False, "location_stale")
    assert refused.action_url == reverse("sessions:session_location", args=[session.pk])
    assert "24" in refused.message
    confirmed_hours_before_start(session, 23)  # confirmed again on the day
    assert session_start_gate(session=session, at=session.starts_at).allowed


@pytest.mark.parametrize(("hours_before", "counts"), [(24, True), (24 + 1 / 3600, False), (0.5, True), (-0.2, True)])
def test_the_confirmation_counts_from_exactly_the_configured_hours_before_the_start(
    client_a, counselor_a, other_gates_open, settings, hours_before, counts
):
    settings.LOCATION_CONFIRMATION_HOURS = 24
    session = confirmed_hours_before_start(session_starting(client_a, counselor_a, in_hours=48), hours_before)
    assert session_start_gate(session=session, at=session.starts_at).allowed is counts


def test_an_unconfirmed_location_points_the_client_to_the_confirmation_page(client_a, counselor_a, other_gates_open):
    session = session_starting(client_a, counselor_a, in_hours=1)
    refused = session_start_gate(session=session)
    assert refused.reason == "location_unconfirmed"
    assert refused.action_url == reverse("sessions:session_location", args=[session.pk])


def test_the_client_sees_which_sessions_need_their_location_now_and_which_later(
    client, client_a, counselor_a, settings
):
    settings.LOCATION_CONFIRMATION_HOURS = 24
    complete_intake(client_a)
    current = confirmed_hours_before_start(session_starting(client_a, counselor_a, in_hours=2), 1)
    again = confirmed_hours_before_start(session_starting(client_a, counselor_a, in_hours=5), 30)
    later = confirmed_hours_before_start(session_starting(client_a, counselor_a, in_hours=72), 71.9)
    missing = session_starting(client_a, counselor_a, in_hours=100)
    client.force_login(client_a)
    page = client.get(reverse("intake:home"))
    statuses = {session.pk: session.location_status for session in page.context["sessions_to_locate"]}
    assert statuses == {current.pk: "current", again.pk: "again", later.pk: "later", missing.pk: "missing"}
    html = page.content.decode()
    for session in (current, again, missing):
        assert reverse("sessions:session_location", args=[session.pk]) in html
    assert reverse("sessions:session_location", args=[later.pk]) not in html  # nothing to do yet: it says when

    location_page = client.get(reverse("sessions:session_location", args=[again.pk]))
    assert location_page.context["location_current"] is False
    assert location_page.context["confirmation_hours"] == 24


def test_the_chat_page_offers_the_fix_to_the_client_only(client, client_a, counselor_a, other_gates_open, staff_login):
    session = confirmed_hours_before_start(session_starting(client_a, counselor_a, in_hours=-0.1, state="open"), 30)
    Conversation.objects.get_or_create(client=client_a, counselor=counselor_a)
    url = reverse("sessions:session_chat", args=[session.pk])
    fix = reverse("sessions:session_location", args=[session.pk])
    client.force_login(client_a)
    page = client.get(url)
    assert page.status_code == 200 and page.context["gate"].reason == "location_stale"
    assert f'href="{fix}"' in page.content.decode()
    staff_login(client, counselor_a)
    page = client.get(url)
    assert page.status_code == 200 and page.context["gate"].reason == "location_stale"
    assert fix not in page.content.decode()  # the client's page: a counselor would get a 404 there


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_chat_socket_refuses_a_stale_location_with_the_reason(client_a, counselor_a, other_gates_open):
    from channels.db import database_sync_to_async

    def stale_session():
        session = session_starting(client_a, counselor_a, in_hours=-0.1, state="open")
        conversation, _ = Conversation.objects.get_or_create(client=client_a, counselor=counselor_a)
        return conversation, confirmed_hours_before_start(session, 30)

    conversation, session = await database_sync_to_async(stale_session)()
    socket = await chat_socket(chat_application(), client_a, chat_path(conversation, session))
    connected, _ = await socket.connect()
    assert connected  # accepted only to say why
    error = await socket.receive_json_from(timeout=3)
    assert (error["code"], error["reason"]) == ("gate_refused", "location_stale")
    assert (await socket.receive_output(timeout=3))["code"] == 4409


def test_confirming_days_ahead_is_accepted_and_the_client_told_it_will_be_asked_again(
    client, client_a, counselor_a, settings
):
    settings.LOCATION_CONFIRMATION_HOURS = 24
    complete_intake(client_a)
    session = session_starting(client_a, counselor_a, in_hours=72)
    client.force_login(client_a)
    response = client.post(
        reverse("sessions:session_location", args=[session.pk]), {"country": "ID", "region": "ID-YO"}, follow=True
    )
    session.refresh_from_db()
    assert session.location_confirmed_at is not None  # kept: it shows the counselor where the client expects to be
    shown = [str(message) for message in response.context["messages"]]
    assert len(shown) == 1
    assert "we will ask you again" in shown[0] or "kami akan menanyakannya lagi" in shown[0]
    assert "24" in shown[0]


def test_the_place_from_the_sessions_and_intake_the_home_page_read_is_the_place_client_location_reads(
    client_a, counselor_a
):
    """The home page passes client_location the client's sessions and intake it has already read (not read again):
    the answer is the one client_location gives reading them itself, at each step (nothing known, the intake's
    usual place, the latest confirmed session's place; a confirmation without a country does not count)."""

    def both():
        upcoming, past = client_sessions(client=client_a)
        known = client_location(client=client_a, sessions=[*upcoming, *past], intake=intake_for(client=client_a))
        return known, client_location(client=client_a)

    assert both() == (None, None)
    complete_intake(client_a)
    known, read = both()
    assert known == read and read.country and not read.confirmed  # the intake's usual place
    older = session_starting(client_a, counselor_a, in_hours=-48, state="completed")
    confirmed_hours_before_start(older, 2)
    newer = session_starting(client_a, counselor_a, in_hours=30)
    newer.location_country, newer.location_region, newer.location_confirmed_at = "SG", "", now()
    newer.save()
    blank = session_starting(client_a, counselor_a, in_hours=50)
    blank.location_confirmed_at = now() + timedelta(minutes=1)  # the latest, but without a country
    blank.save()
    known, read = both()
    assert known == read and (read.country, read.region, read.confirmed) == ("SG", "", True)
    newer.location_confirmed_at = older.location_confirmed_at - timedelta(hours=1)
    newer.save()
    known, read = both()
    assert known == read and (read.country, read.region, read.confirmed) == ("ID", "ID-YO", True)


def test_a_clients_sessions_come_by_start_whatever_order_they_were_booked_in(client_a, counselor_a):
    """client_sessions sorts them itself (no ORDER BY): upcoming soonest first, past latest first."""
    later = session_starting(client_a, counselor_a, in_hours=72)
    sooner = session_starting(client_a, counselor_a, in_hours=30)
    earlier_past = session_starting(client_a, counselor_a, in_hours=-72, state="completed")
    later_past = session_starting(client_a, counselor_a, in_hours=-24, state="completed")
    upcoming, past = client_sessions(client=client_a)
    assert [s.pk for s in upcoming] == [sooner.pk, later.pk]
    assert [s.pk for s in past] == [later_past.pk, earlier_past.pk]
