"""How a session is held (video, voice, chat): chosen at booking, changed by either participant before the start
(audited), refused after it; the session page offers "join call" for a video or voice session; the call page."""

from datetime import UTC, datetime, time, timedelta

import pytest

from counseling.clock import now
from counseling.gates import GateResult
from counseling.models import AuditEntry
from sessions.models import CounselingSession
from sessions.selectors import open_slots
from sessions.services import BookingError, session_book, session_medium_change
from tests.sessions.booking_support import open_gates, run_tasks_eagerly, taken_on, work_every_day
from tests.sessions.chat_helpers import open_session


@pytest.fixture
def soon(db, monkeypatch, counselor_a, client_a):
    """Working hours every day from now on, the other features' gates open."""
    open_gates(monkeypatch)
    run_tasks_eagerly(monkeypatch)
    work_every_day(counselor_a, start=time(0, 0), end=time(23, 59))
    return counselor_a, client_a


def _first_slot(counselor):
    return open_slots(counselor=counselor, start=datetime.now(UTC), end=datetime.now(UTC) + timedelta(days=3))[0]


def _later_session(client, counselor, *, medium="chat"):
    start = now() + timedelta(days=2)
    return CounselingSession.objects.create(
        client=client, counselor=counselor, starts_at=start, ends_at=start + timedelta(minutes=50), medium=medium
    )


def test_the_client_chooses_video_when_booking_and_the_session_is_held_by_video(client, soon):
    counselor, client_a = soon
    client.force_login(client_a)
    page = client.get(f"/sessions/book/{counselor.pk}/").content.decode()
    assert 'name="medium" value="video"' in page and 'name="medium" value="voice"' in page
    slot = _first_slot(counselor)
    response = client.post(
        f"/sessions/book/{counselor.pk}/", {"starts_at": slot.starts_at.isoformat(), "medium": "video"}
    )
    session = CounselingSession.objects.get()
    assert response.status_code == 302 and session.medium == "video"
    booked = AuditEntry.objects.get(action="session.booked", target_id=str(session.pk))
    assert booked.detail["medium"] == "video"


def test_a_booking_without_a_choice_is_held_by_chat(client, soon):
    counselor, client_a = soon
    client.force_login(client_a)
    client.post(f"/sessions/book/{counselor.pk}/", {"starts_at": _first_slot(counselor).starts_at.isoformat()})
    assert CounselingSession.objects.get().medium == "chat"


def test_an_unknown_medium_is_refused_with_a_message_and_nothing_is_booked(client, soon):
    counselor, client_a = soon
    client.force_login(client_a)
    response = client.post(
        f"/sessions/book/{counselor.pk}/",
        {"starts_at": _first_slot(counselor).starts_at.isoformat(), "medium": "hologram"},
        follow=True,
    )
    assert not CounselingSession.objects.exists()
    assert any("video, voice or chat" in str(m) or "video, suara" in str(m) for m in response.context["messages"])
    with pytest.raises(BookingError) as refused:
        session_book(client=client_a, counselor=counselor, starts_at=_first_slot(counselor).starts_at, medium="fax")
    assert refused.value.code == "medium_unknown"


def test_a_weekly_series_and_a_moved_session_keep_the_medium(soon):
    from sessions.services import session_reschedule, session_series_book

    counselor, client_a = soon
    taken_on(client_a, counselor)  # a weekly series follows a first request the counselor accepted
    slots = _first_slot(counselor)
    booked = session_series_book(
        client=client_a,
        counselor=counselor,
        first_starts_at=slots.starts_at + timedelta(days=1),
        weeks=2,
        medium="voice",
    )
    assert [s.medium for s in booked.sessions] == ["voice", "voice"]
    later = [
        s
        for s in open_slots(counselor=counselor, start=now(), end=now() + timedelta(days=3))
        if s.starts_at > slots.starts_at
    ]
    moved = session_reschedule(
        session=booked.sessions[0], actor=counselor, new_starts_at=later[-1].starts_at, reason="other"
    )
    assert moved.medium == "voice"


@pytest.mark.parametrize("who", ["client_a", "counselor_a"])
def test_either_participant_changes_the_medium_before_the_start_and_it_is_audited(
    client, db, client_a, counselor_a, who, request, staff_login
):
    session = _later_session(client_a, counselor_a)
    person = request.getfixturevalue(who)
    if who == "counselor_a":
        staff_login(client, person)
    else:
        client.force_login(person)
    page = client.get(f"/sessions/{session.pk}/").content.decode()
    assert f'action="/sessions/{session.pk}/medium/"' in page
    response = client.post(f"/sessions/{session.pk}/medium/", {"medium": "voice"})
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.medium == "voice"
    entry = AuditEntry.objects.get(action="session.medium_changed", target_id=str(session.pk))
    assert entry.actor_id == person.pk and entry.detail == {"from": "chat", "to": "voice"}
    assert entry.subject_id == client_a.pk


def test_the_medium_cannot_be_changed_after_the_start(client, db, client_a, counselor_a, monkeypatch):
    open_gates(monkeypatch)
    _conversation, session = open_session(client_a, counselor_a)  # started five minutes ago
    client.force_login(client_a)
    page = client.get(f"/sessions/{session.pk}/").content.decode()
    assert f'action="/sessions/{session.pk}/medium/"' not in page
    response = client.post(f"/sessions/{session.pk}/medium/", {"medium": "video"}, follow=True)
    session.refresh_from_db()
    assert session.medium == "chat"
    assert any("can no longer be changed" in str(m) or "tidak dapat" in str(m) for m in response.context["messages"])
    with pytest.raises(BookingError) as refused:
        session_medium_change(session=session, actor=client_a, medium="video")
    assert refused.value.code == "medium_after_start"
    assert not AuditEntry.objects.filter(action="session.medium_changed").exists()


def test_an_outsider_cannot_change_the_medium(client, db, client_a, client_b, counselor_a):
    session = _later_session(client_a, counselor_a)
    client.force_login(client_b)
    assert client.post(f"/sessions/{session.pk}/medium/", {"medium": "video"}).status_code == 404
    session.refresh_from_db()
    assert session.medium == "chat"


def test_the_session_page_offers_join_call_for_a_video_session_once_open(
    client, db, client_a, counselor_a, monkeypatch
):
    open_gates(monkeypatch)
    _conversation, session = open_session(client_a, counselor_a)
    client.force_login(client_a)
    assert f'href="/sessions/{session.pk}/call/"' not in client.get(f"/sessions/{session.pk}/").content.decode()
    CounselingSession.objects.filter(pk=session.pk).update(medium="video")
    assert f'href="/sessions/{session.pk}/call/"' in client.get(f"/sessions/{session.pk}/").content.decode()


def test_the_call_page_allows_camera_and_microphone_and_carries_no_inline_script(
    client, db, client_a, counselor_a, monkeypatch
):
    open_gates(monkeypatch)
    _conversation, session = open_session(client_a, counselor_a)
    CounselingSession.objects.filter(pk=session.pk).update(medium="voice")
    client.force_login(client_a)
    response = client.get(f"/sessions/{session.pk}/call/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "camera=(self)" in response["Permissions-Policy"] and "microphone=(self)" in response["Permissions-Policy"]
    assert (
        "script-src 'self'" in response["Content-Security-Policy"]
        or "default-src 'self'" in response["Content-Security-Policy"]
    )
    assert f'data-ws-path="/ws/sessions/{session.pk}/call/"' in page and 'data-video="0"' in page
    assert "<script>" not in page and "js/call.js" in page
    other = client.get(f"/sessions/{session.pk}/")
    assert "camera=()" in other["Permissions-Policy"]  # every other page keeps them off


def test_the_call_page_says_why_when_a_gate_is_closed(client, db, client_a, counselor_a, monkeypatch):
    open_gates(monkeypatch)
    _conversation, session = open_session(client_a, counselor_a, code_word_matched=False)
    CounselingSession.objects.filter(pk=session.pk).update(medium="video")
    client.force_login(client_a)
    page = client.get(f"/sessions/{session.pk}/call/").content.decode()
    assert 'data-refusal="code_word_unconfirmed"' in page and "data-ws-path" not in page
    monkeypatch.setattr(
        "sessions.selectors.consent_gate", lambda **kw: GateResult.refuse("consent_missing", "Accept the terms.")
    )
    page = client.get(f"/sessions/{session.pk}/call/").content.decode()
    assert 'data-refusal="consent_missing"' in page and "Accept the terms." in page


def test_the_call_page_is_for_the_sessions_two_participants_only(client, db, client_a, client_b, counselor_a):
    session = _later_session(client_a, counselor_a, medium="video")
    client.force_login(client_b)
    assert client.get(f"/sessions/{session.pk}/call/").status_code == 404
