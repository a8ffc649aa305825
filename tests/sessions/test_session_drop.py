"""A dropped session: the client's chat connection drops during a session in progress and does not come back within
CLIENT_RECONNECT_MINUTES. The counselor is alerted at once, their session page shows the client's plan for a dropped
connection and phone and asks what they did; an open escalation of the client climbs at once. A client who comes
back in time is no drop at all."""

# ruff: noqa: F811  (pytest fixtures imported from test_escalation_support are used as arguments)

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.conf import settings
from django.test import Client
from django.urls import reverse

from counseling.clock import now
from counseling.crypto import open_text
from counseling.models import AuditEntry, CounselorProfile
from crisis.models import Escalation, EscalationState, Rung
from crisis.services import escalation_acknowledge, help_request
from identity.services import intake_submit
from sessions.chat import drops
from sessions.models import ClientPresence, SessionDrop
from tests.counseling.test_escalation_support import eager_celery, pushed  # noqa: F401
from tests.security.conftest import INTAKE_ANSWERS
from tests.sessions.chat_helpers import chat_application, joined_socket, open_gates, open_session

MINUTES = settings.CLIENT_RECONNECT_MINUTES
PLAN = INTAKE_ANSWERS["connection_drop_plan"]


@pytest.fixture
def in_progress(client_a, counselor_a, monkeypatch):
    """A session of client_a with counselor_a in progress, their conversation, and client_a's intake."""
    open_gates(monkeypatch)
    intake_submit(client=client_a, answers=INTAKE_ANSWERS, emergency_contact_authorised=True, code_word="kupu-kupu")
    CounselorProfile.objects.filter(user=counselor_a).update(languages="en")  # the counselor reads English
    conversation, session = open_session(client_a, counselor_a)
    session.state = "in_progress"
    session.started_at = now()
    session.save(update_fields=["state", "started_at"])
    return conversation, session


def _drop_notices(pushed, user):
    return [sent for user_id, sent in pushed if user_id == user.pk and sent["type"] == "session.client_dropped"]


# --- The path through the chat socket ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_client_whose_socket_closes_and_stays_away_past_the_setting_is_a_dropped_session(
    in_progress, client_a, counselor_a, pushed, eager_celery
):
    conversation, session = in_progress
    application = chat_application()

    async def join_and_leave():
        socket = await joined_socket(application, client_a, conversation, session)
        await socket.disconnect()

    async_to_sync(join_and_leave)()
    presence = ClientPresence.objects.get(session=session)
    assert presence.left_at is not None  # the closing was recorded, for every server process to see

    # Before the setting's minutes: nothing.
    assert drops.session_drops_check(at=presence.left_at + timedelta(minutes=MINUTES) - timedelta(seconds=5)) == 0
    assert not SessionDrop.objects.exists()

    later = presence.left_at + timedelta(minutes=MINUTES, seconds=30)
    assert drops.session_drops_check(at=later) == 1
    drop = SessionDrop.objects.get(session=session)
    assert drop.away_since == presence.left_at
    assert drop.recorded_at is None
    # The counselor's open pages are told at once, with the way to the session page; the client is told nothing.
    (notice,) = _drop_notices(pushed, counselor_a)
    assert notice["urgent"] is True
    assert notice["url"] == reverse("sessions:session_chat", args=[session.pk])
    assert notice["link"] == "Open the session"
    assert "Client A" in notice["title"]
    assert PLAN not in str(notice)  # the plan is on the page, never in the notice
    assert _drop_notices(pushed, client_a) == []
    assert AuditEntry.objects.filter(action="session.client_connection_dropped", subject_id=client_a.pk).count() == 1

    # Once per absence, however often the sweep runs.
    assert drops.session_drops_check(at=later + timedelta(minutes=1)) == 0
    assert SessionDrop.objects.filter(session=session).count() == 1
    assert len(_drop_notices(pushed, counselor_a)) == 1


@pytest.mark.django_db(transaction=True)
def test_a_client_who_comes_back_before_the_setting_is_no_drop(in_progress, client_a, counselor_a, pushed):
    conversation, session = in_progress
    application = chat_application()

    later = now() + timedelta(minutes=MINUTES + 2)

    def beat_and_sweep():
        (open_socket,) = ClientPresence.objects.filter(session=session, left_at__isnull=True)
        drops.client_socket_seen(channel_name=open_socket.channel_name, at=later - timedelta(seconds=30))  # its beat
        return drops.session_drops_check(at=later)

    async def leave_come_back_and_sweep():
        first = await joined_socket(application, client_a, conversation, session)
        await first.disconnect()
        second = await joined_socket(application, client_a, conversation, session)
        found = await database_sync_to_async(beat_and_sweep)()
        await second.disconnect()
        return found

    assert async_to_sync(leave_come_back_and_sweep)() == 0
    assert not SessionDrop.objects.exists()
    assert _drop_notices(pushed, counselor_a) == []


@pytest.mark.django_db(transaction=True)
def test_a_counselors_socket_or_a_message_between_sessions_keeps_no_presence(in_progress, client_a, counselor_a):
    conversation, session = in_progress
    application = chat_application()

    async def join_and_leave():
        counselor = await joined_socket(application, counselor_a, conversation, session)
        between = await joined_socket(application, client_a, conversation)  # not in a session
        await counselor.disconnect()
        await between.disconnect()

    async_to_sync(join_and_leave)()
    assert not ClientPresence.objects.exists()
    assert drops.session_drops_check(at=now() + timedelta(minutes=MINUTES + 2)) == 0


# --- The presence rules, without sockets ----------------------------------------------------------------------


def test_a_socket_whose_server_died_stops_beating_and_counts_as_gone(in_progress, django_capture_on_commit_callbacks):
    _conversation, session = in_progress
    start = now()
    drops.client_socket_joined(session=session, channel_name="specific.dead!1", at=start)
    drops.client_socket_seen(channel_name="specific.dead!1", at=start + timedelta(minutes=1))
    # The process died: no goodbye, no more beats. While beats are fresh, the client is there.
    assert drops.session_drops_check(at=start + timedelta(minutes=2)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert drops.session_drops_check(at=start + timedelta(minutes=1 + MINUTES, seconds=1)) == 1
    assert SessionDrop.objects.get(session=session).away_since == start + timedelta(minutes=1)


def test_a_beating_socket_keeps_the_client_there_however_long(in_progress):
    _conversation, session = in_progress
    start = now()
    drops.client_socket_joined(session=session, channel_name="specific.alive!1", at=start)
    for minute in range(1, 3 * MINUTES):
        drops.client_socket_seen(channel_name="specific.alive!1", at=start + timedelta(minutes=minute))
        assert drops.session_drops_check(at=start + timedelta(minutes=minute, seconds=30)) == 0
    assert not SessionDrop.objects.exists()


def test_only_a_session_in_progress_can_drop(in_progress):
    _conversation, session = in_progress
    start = now()
    drops.client_socket_joined(session=session, channel_name="specific.gone!1", at=start)
    drops.client_socket_left(channel_name="specific.gone!1", at=start)
    session.state = "completed"
    session.save(update_fields=["state"])
    assert drops.session_drops_check(at=start + timedelta(minutes=MINUTES + 1)) == 0


def test_the_client_coming_back_after_a_drop_is_marked_and_the_counselor_told(
    in_progress, counselor_a, pushed, django_capture_on_commit_callbacks
):
    _conversation, session = in_progress
    start = now()
    drops.client_socket_joined(session=session, channel_name="specific.c!1", at=start)
    drops.client_socket_left(channel_name="specific.c!1", at=start)
    with django_capture_on_commit_callbacks(execute=True):
        drops.session_drops_check(at=start + timedelta(minutes=MINUTES + 1))
        drops.client_socket_joined(session=session, channel_name="specific.c!2", at=start + timedelta(minutes=8))
    assert SessionDrop.objects.get(session=session).client_back_at == start + timedelta(minutes=8)
    first, back = _drop_notices(pushed, counselor_a)
    assert back["id"] == first["id"] == session.pk  # the same card, replaced: no longer urgent
    assert "is back in the session" in back["title"] and "urgent" not in back
    # Away again later: a second absence is a second record.
    drops.client_socket_left(channel_name="specific.c!2", at=start + timedelta(minutes=10))
    assert drops.session_drops_check(at=start + timedelta(minutes=10 + MINUTES, seconds=1)) == 1
    assert SessionDrop.objects.filter(session=session).count() == 2


# --- An open escalation climbs at once ---------------------------------------------------------------------


def _dropped(session, django_capture_on_commit_callbacks, at):
    drops.client_socket_joined(session=session, channel_name=f"specific.e!{at.timestamp()}", at=at)
    drops.client_socket_left(channel_name=f"specific.e!{at.timestamp()}", at=at)
    with django_capture_on_commit_callbacks(execute=True):
        assert drops.session_drops_check(at=at + timedelta(minutes=MINUTES, seconds=1)) == 1


def test_an_open_escalation_of_the_client_climbs_at_once_when_the_session_drops(
    in_progress, client_a, counselor_a, pushed, eager_celery, django_capture_on_commit_callbacks
):
    _conversation, session = in_progress
    with django_capture_on_commit_callbacks(execute=True):
        escalation, _created = help_request(client=client_a, session=session)
    assert escalation.rung == Rung.COUNSELOR
    assert escalation.next_step_at > now() + timedelta(minutes=1)  # its timer has not run out
    _dropped(session, django_capture_on_commit_callbacks, now())
    escalation.refresh_from_db()
    assert escalation.rung == Rung.ON_CALL  # climbed without waiting out the timer
    kinds = list(escalation.events.values_list("kind", flat=True))
    assert kinds.index("connection_dropped") < len(kinds) - 1 and kinds[-1] == "alerted"
    assert AuditEntry.objects.filter(action="escalation.connection_dropped", target_id=str(escalation.pk)).exists()


def test_an_acknowledged_escalation_is_not_climbed_but_its_timeline_says_why(
    in_progress, client_a, counselor_a, pushed, eager_celery, django_capture_on_commit_callbacks
):
    _conversation, session = in_progress
    with django_capture_on_commit_callbacks(execute=True):
        escalation, _created = help_request(client=client_a, session=session)
        escalation_acknowledge(escalation=escalation, user=counselor_a, note="On it; phoning her.")
    _dropped(session, django_capture_on_commit_callbacks, now())
    escalation.refresh_from_db()
    assert (escalation.state, escalation.rung) == (EscalationState.ACKNOWLEDGED, Rung.COUNSELOR)
    assert escalation.events.filter(kind="connection_dropped").count() == 1


def test_a_drop_without_an_escalation_opens_none(in_progress, client_a, pushed, django_capture_on_commit_callbacks):
    _conversation, session = in_progress
    _dropped(session, django_capture_on_commit_callbacks, now())
    assert not Escalation.objects.filter(client=client_a).exists()


# --- The counselor's session page and the record of what they did -------------------------------------------


@pytest.fixture
def dropped(in_progress, django_capture_on_commit_callbacks):
    _conversation, session = in_progress
    at = now() - timedelta(minutes=MINUTES + 1)
    drops.client_socket_joined(session=session, channel_name="specific.p!1", at=at)
    drops.client_socket_left(channel_name="specific.p!1", at=at)
    with django_capture_on_commit_callbacks(execute=True):
        drops.session_drops_check()
    return SessionDrop.objects.get(session=session)


def test_the_counselors_session_page_shows_the_drop_plan_the_phone_and_asks_what_they_did(
    dropped, counselor_a, staff_login
):
    browser = staff_login(Client(), counselor_a)
    page = browser.get(reverse("sessions:session_chat", args=[dropped.session_id])).content.decode()
    assert 'id="session-drop"' in page
    assert PLAN in page
    since = dropped.away_since.astimezone(ZoneInfo(counselor_a.counselor_profile.time_zone)).strftime("%H:%M")
    assert f"Away since {since}, not back within {MINUTES} minutes." in page  # in the counselor's zone
    assert 'href="tel:+6281255501234"' in page  # the client's phone, dialled as it reads
    assert 'href="tel:+6281355509876"' in page  # the emergency contact they authorised
    assert "What did you do?" in page
    assert reverse("sessions:session_drop_record", args=[dropped.pk]) in page
    assert AuditEntry.objects.filter(action="session.drop_plan_viewed", actor_id=counselor_a.pk).count() == 1


def test_nobody_but_the_sessions_counselor_sees_the_drop_plan_on_the_session_page(
    dropped, client_a, counselor_b, admin_user, staff_login
):
    own = Client()
    own.force_login(client_a)
    page = own.get(reverse("sessions:session_chat", args=[dropped.session_id])).content.decode()
    assert 'id="session-drop"' not in page and PLAN not in page
    for user in (counselor_b, admin_user):
        response = staff_login(Client(), user).get(reverse("sessions:session_chat", args=[dropped.session_id]))
        assert response.status_code in (403, 404)
        assert PLAN not in response.content.decode()
    assert not AuditEntry.objects.filter(action="session.drop_plan_viewed").exists()


def test_the_counselor_records_what_they_did_with_a_sealed_note(dropped, client_a, counselor_a, staff_login):
    browser = staff_login(Client(), counselor_a)
    url = reverse("sessions:session_drop_record", args=[dropped.pk])
    note = "Phoned her; no answer. Wrote here, then phoned her brother: she is safe, the power is out."
    response = browser.post(url, {"actions": ["wrote", "phoned_client", "phoned_contact"], "note": note}, follow=True)
    assert response.redirect_chain[-1][0].endswith(
        reverse("sessions:session_chat", args=[dropped.session_id]) + "#session-drop"
    )
    dropped.refresh_from_db()
    assert dropped.actions == ["wrote", "phoned_client", "phoned_contact"]
    assert dropped.recorded_by == counselor_a and dropped.recorded_at is not None
    assert note.encode() not in bytes(dropped.note_sealed)  # sealed, never plaintext
    assert open_text(owner_id=client_a.pk, sealed=dropped.note_sealed, context=dropped.note_aad) == note
    entry = AuditEntry.objects.get(action="session.drop_action_recorded")
    assert entry.actor_id == counselor_a.pk and entry.subject_id == client_a.pk
    assert note not in str(entry.detail)
    page = response.content.decode()
    assert "Recorded what you did about the dropped connection." in page
    assert "Phoned the emergency contact" in page and note in page
    assert "What did you do?" not in page  # nothing left to record


def test_recording_refuses_no_action_an_unknown_action_and_a_second_record_with_a_clear_message(
    dropped, counselor_a, staff_login
):
    browser = staff_login(Client(), counselor_a)
    url = reverse("sessions:session_drop_record", args=[dropped.pk])
    response = browser.post(url, {"note": "Nothing yet."}, follow=True)
    assert "Choose at least one thing you did." in response.content.decode()
    response = browser.post(url, {"actions": ["called_the_police_myself"]}, follow=True)
    assert "is not one of the available choices" in response.content.decode()
    dropped.refresh_from_db()
    assert dropped.recorded_at is None
    assert browser.post(url, {"actions": ["client_came_back"]}).status_code == 302
    response = browser.post(url, {"actions": ["wrote"]}, follow=True)
    assert "already recorded" in response.content.decode()
    dropped.refresh_from_db()
    assert dropped.actions == ["client_came_back"]


def test_nobody_but_the_sessions_counselor_records_the_action(dropped, client_a, counselor_b, admin_user, staff_login):
    url = reverse("sessions:session_drop_record", args=[dropped.pk])
    data = {"actions": ["wrote"], "note": "not theirs to write"}
    own = Client()
    own.force_login(client_a)
    assert own.post(url, data).status_code == 403
    assert staff_login(Client(), counselor_b).post(url, data).status_code == 404
    assert staff_login(Client(), admin_user).post(url, data).status_code == 403
    assert Client().post(url, data).status_code == 302  # to the sign-in page
    assert staff_login(Client(), counselor_b).get(url).status_code == 405
    dropped.refresh_from_db()
    assert dropped.recorded_at is None and dropped.note_sealed is None


# --- The consent's promise and the setting ------------------------------------------------------------------


def test_the_consent_promises_the_configured_reconnection_minutes(db):
    """The consent's "If the technology fails" section promises the minutes after which the counselor acts: the
    same number the sweep waits (CLIENT_RECONNECT_MINUTES). Changing one without the other fails here."""
    from consent.default_text import DEFAULT_CONSENT, VERSION_2
    from consent.selectors import consent_version_in_force
    from consent.services import consent_defaults_publish

    consent_defaults_publish()
    patterns = {"en": r"within (\d+) minutes", "id": r"dalam\s+(\d+) menit"}
    for language, pattern in patterns.items():
        texts = [
            DEFAULT_CONSENT[language]["sections"]["technology_failure"][1],
            consent_version_in_force(language=language).sections.get(key="technology_failure").body,
        ]
        if "technology_failure" in VERSION_2[language]["sections"]:  # else carried over from version 1
            texts.append(VERSION_2[language]["sections"]["technology_failure"][1])
        for text in texts:
            assert [int(n) for n in re.findall(pattern, text)] == [settings.CLIENT_RECONNECT_MINUTES], language
