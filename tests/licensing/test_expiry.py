"""The daily expiry job: warnings at 60 and 14 days, expiry, clients told; idempotent; time as given."""

from datetime import timedelta

import pytest
from django.core import mail

from counseling.models import AuditEntry
from licensing.models import LapseNotice, Licence, LicenceState
from licensing.selectors import jurisdiction_gate
from licensing.services import licences_expiry_sweep
from licensing.tasks import licence_expiry_sweep_task
from sessions.models import Conversation, CounselingSession
from tests.conftest import make_client
from tests.licensing.factories import NOON, TODAY, licence

pytestmark = pytest.mark.django_db


@pytest.fixture
def pushed(monkeypatch):
    """Real-time notices sent, as (user id, payload) pairs, captured where the service calls them."""
    sent = []
    # The counselor is told by licensing; the clients by sessions, which answers licensing's licence_lapsed.
    for where in ("licensing.services.notify_user_on_commit", "sessions.services.notify_user_on_commit"):
        monkeypatch.setattr(where, lambda *, user_id, payload: sent.append((user_id, payload)))
    return sent


@pytest.fixture
def closed_chats(monkeypatch):
    closed = []
    monkeypatch.setattr(
        "sessions.services.chat_close_on_commit",
        lambda *, conversation_id, reason: closed.append((conversation_id, reason)),
    )
    return closed


def test_a_counselor_is_warned_60_days_before_expiry_once(
    counselor_a, pushed, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "http://konseling.test"
    row = licence(counselor_a, "ID", expires_on=TODAY + timedelta(days=60))
    with django_capture_on_commit_callbacks(execute=True):
        first = licences_expiry_sweep(at=NOON)
        second = licences_expiry_sweep(at=NOON + timedelta(hours=1))
    assert (first.warned_60, second.warned_60) == (1, 0)
    row.refresh_from_db()
    assert row.warned_60_at == NOON and row.warned_14_at is None
    assert [p["type"] for uid, p in pushed if uid == counselor_a.pk] == ["licence.expiry_warning"]
    # In the counselor's own language (Counselor A reads Indonesian first), whoever's job sent it.
    assert len(mail.outbox) == 1 and "60 hari lagi" in mail.outbox[0].body
    assert "http://konseling.test/licensing/" in mail.outbox[0].body
    assert AuditEntry.objects.filter(action="licence.expiry_warned", detail__warning=60).count() == 1


def test_no_warning_earlier_than_60_days(counselor_a, pushed):
    licence(counselor_a, "ID", expires_on=TODAY + timedelta(days=61))
    assert licences_expiry_sweep(at=NOON).warned_60 == 0
    assert pushed == []


def test_the_14_day_warning_follows_the_60_day_one(counselor_a, pushed, django_capture_on_commit_callbacks):
    row = licence(counselor_a, "ID", expires_on=TODAY + timedelta(days=60))
    with django_capture_on_commit_callbacks(execute=True):
        licences_expiry_sweep(at=NOON)
        assert licences_expiry_sweep(at=NOON + timedelta(days=30)).warned_14 == 0
        report = licences_expiry_sweep(at=NOON + timedelta(days=46))
        assert (report.warned_60, report.warned_14) == (0, 1)
        assert licences_expiry_sweep(at=NOON + timedelta(days=47)).warned_14 == 0
    row.refresh_from_db()
    assert row.warned_14_at == NOON + timedelta(days=46)
    assert len(mail.outbox) == 2


def test_a_licence_first_seen_inside_14_days_gets_only_the_14_day_warning(counselor_a, pushed):
    row = licence(counselor_a, "ID", expires_on=TODAY + timedelta(days=5))
    report = licences_expiry_sweep(at=NOON)
    assert (report.warned_60, report.warned_14) == (0, 1)
    assert licences_expiry_sweep(at=NOON).warned_60 == 0
    row.refresh_from_db()
    assert row.warned_60_at == NOON  # marked so a late 60-day warning never follows


def test_unverified_licences_are_not_warned(counselor_a, pushed):
    licence(counselor_a, "ID", state=LicenceState.SUBMITTED, expires_on=TODAY + timedelta(days=10))
    assert licences_expiry_sweep(at=NOON).warned_14 == 0


def test_a_licence_past_its_last_day_is_marked_expired_and_audited(counselor_a, pushed, closed_chats):
    row = licence(counselor_a, "ID", expires_on=TODAY - timedelta(days=1))
    still_valid = licence(counselor_a, "ID-YO", kind="silp", expires_on=TODAY)
    report = licences_expiry_sweep(at=NOON)
    assert report.expired == 1
    row.refresh_from_db()
    still_valid.refresh_from_db()
    assert row.state == LicenceState.EXPIRED
    assert still_valid.state == LicenceState.VERIFIED  # its last day is today
    entry = AuditEntry.objects.get(action="licence.expired", target_id=str(row.pk))
    assert entry.actor_id is None and entry.actor_label == "system"
    assert (entry.detail["from"], entry.detail["to"]) == ("verified", "expired")


def test_running_the_job_twice_changes_nothing_more(
    counselor_a, pushed, closed_chats, django_capture_on_commit_callbacks
):
    client = make_client("ayu@clients.test", "Ayu")
    CounselingSession.objects.create(
        client=client,
        counselor=counselor_a,
        starts_at=NOON,
        ends_at=NOON + timedelta(hours=1),
        location_country="ID",
        location_region="ID-BA",
        location_confirmed_at=NOON,
    )
    licence(counselor_a, "ID", expires_on=TODAY - timedelta(days=1))
    licence(counselor_a, "ID-JK", kind="silp", expires_on=TODAY + timedelta(days=60))
    licence(counselor_a, "ID-YO", kind="silp", expires_on=TODAY + timedelta(days=14), number="SILP-YO")
    with django_capture_on_commit_callbacks(execute=True):
        first = licences_expiry_sweep(at=NOON)
    snapshot = (
        list(Licence.objects.order_by("pk").values()),
        AuditEntry.objects.count(),
        LapseNotice.objects.count(),
        len(pushed),
        len(mail.outbox),
    )
    assert len(mail.outbox) == 2
    with django_capture_on_commit_callbacks(execute=True):
        second = licences_expiry_sweep(at=NOON)
    assert (first.expired, first.warned_60, first.warned_14, first.clients_notified) == (1, 1, 1, 1)
    assert (second.expired, second.warned_60, second.warned_14, second.clients_notified) == (0, 0, 0, 0)
    assert snapshot == (
        list(Licence.objects.order_by("pk").values()),
        AuditEntry.objects.count(),
        LapseNotice.objects.count(),
        len(pushed),
        len(mail.outbox),
    )


def test_the_job_uses_the_time_it_is_given_not_the_clock(counselor_a, pushed):
    row = licence(counselor_a, "ID", expires_on=TODAY + timedelta(days=100))
    assert licences_expiry_sweep(at=NOON).expired == 0
    assert licences_expiry_sweep(at=NOON + timedelta(days=101)).expired == 1
    row.refresh_from_db()
    assert row.state == LicenceState.EXPIRED


def test_the_task_takes_an_iso_time_and_reports_counts(counselor_a, pushed):
    licence(counselor_a, "ID", expires_on=TODAY - timedelta(days=1))
    result = licence_expiry_sweep_task.apply(kwargs={"at": NOON.isoformat()}).get()
    assert result == {"expired": 1, "warned_60": 0, "warned_14": 0, "clients_notified": 0}
    with pytest.raises(ValueError):
        licence_expiry_sweep_task.apply(kwargs={"at": "2026-11-25T12:00:00"}).get()


def test_the_job_is_on_the_daily_beat_schedule():
    from django.conf import settings

    entries = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "licensing.tasks.licence_expiry_sweep"]
    assert len(entries) == 1
    assert entries[0]["schedule"].hour == {17}


def test_clients_there_are_told_and_offered_another_counselor_or_in_person_care(counselor_a, pushed, closed_chats):
    here = make_client("ayu@clients.test", "Ayu", language="id")
    conversation = Conversation.objects.create(client=here, counselor=counselor_a)
    licence(counselor_a, "ID", expires_on=TODAY - timedelta(days=1))
    report = licences_expiry_sweep(at=NOON)
    assert report.clients_notified == 1
    notice = LapseNotice.objects.get(client=here)
    assert notice.counselor == counselor_a
    payloads = [p for uid, p in pushed if uid == here.pk]
    assert payloads[0]["type"] == "licence.counselor_lapsed"
    assert payloads[0]["url"] == "/licensing/counselors/"
    assert "konselor lain" in payloads[0]["message"] or "another counselor" in payloads[0]["message"]
    assert (conversation.pk, "licence_lapsed") in closed_chats
    assert AuditEntry.objects.filter(action="licence.client_notified_of_lapse", subject_id=here.pk).exists()


def test_clients_elsewhere_or_still_covered_are_not_told(counselor_b, pushed, closed_chats):
    in_texas = make_client("maya@clients.test", "Maya")
    in_kansas = make_client("kim@clients.test", "Kim")
    for hours, client, region in ((0, in_texas, "US-TX"), (2, in_kansas, "US-KS")):
        start = NOON + timedelta(hours=hours)
        CounselingSession.objects.create(
            client=client,
            counselor=counselor_b,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            location_country="US",
            location_region=region,
            location_confirmed_at=NOON,
        )
    licence(counselor_b, "US-TX", kind="us_lpc")
    licence(counselor_b, "US-KS", kind="us_lpc", expires_on=TODAY - timedelta(days=1))
    licences_expiry_sweep(at=NOON)
    assert list(LapseNotice.objects.values_list("client_id", flat=True)) == [in_kansas.pk]


def test_after_expiry_the_gate_refuses_new_work_there(counselor_a, pushed, closed_chats):
    licence(counselor_a, "ID", expires_on=TODAY - timedelta(days=1))
    licences_expiry_sweep(at=NOON)
    assert jurisdiction_gate(counselor=counselor_a, country="ID", at=NOON).reason == "licence_expired"
