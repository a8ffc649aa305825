"""Breach response (UU PDP 27/2022 Pasal 46; GDPR Art. 33-34): an admin opens an incident, finds the affected
clients in the audit log, the legal clocks run and remind admins, notices go to each client in their language
and are recorded, the authority's notice is recorded with its channel. The consent's promise is tied here to
the clock that keeps it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail

from counseling.audit import audit_record
from counseling.clock import now
from counseling.models import AuditEntry
from incidents.models import AffectedClient, AuthorityNotice, ClockReminder, Incident, Law
from incidents.selectors import affected_candidates, incident_clocks, running_clocks, uu_pdp_deadline
from incidents.services import (
    IncidentError,
    incident_affected_confirm,
    incident_client_notice_save,
    incident_client_notices_send,
    incident_clock_reminders,
    incident_open,
)
from tests.conftest import make_client

HOUR = timedelta(hours=1)


@pytest.fixture
def admin(admin_user, client, staff_login):
    staff_login(client, admin_user)
    return admin_user


@pytest.fixture
def client_eu(db, counselor_a):
    """A client who confirmed Germany as their place for a session: GDPR applies to them."""
    from sessions.models import CounselingSession

    person = make_client("eu@clients.test", "Client EU", language="en", time_zone="Europe/Berlin")
    start = now() - timedelta(days=3)
    CounselingSession.objects.create(
        client=person,
        counselor=counselor_a,
        starts_at=start,
        ends_at=start + timedelta(minutes=50),
        state="completed",
        location_country="DE",
        location_confirmed_at=start - HOUR,
    )
    return person


def _entry_at(monkeypatch, at, **kwargs):
    monkeypatch.setattr("counseling.audit.now", lambda: at)
    entry = audit_record(**kwargs)
    monkeypatch.undo()
    return entry


def _incident(admin_user, *, detected_at=None, occurred_at=None) -> Incident:
    return incident_open(
        opened_by=admin_user,
        detected_at=detected_at or now() - HOUR,
        occurred_at=occurred_at,
        summary="A backup copy of the database was readable from the internet for two days.",
        data_involved="E-mail addresses and pseudonyms.",
        measures="We closed the access and rotated the keys.",
        client_steps="Be careful with e-mails that ask for your password.",
        contact="privacy@example.test",
    )


def _confirm(incident, admin_user, start, end, actions=()):
    clients, _gone = affected_candidates(window_start=start, window_end=end, actions=list(actions))
    return incident_affected_confirm(
        incident=incident,
        window_start=start,
        window_end=end,
        actions=list(actions),
        target_types=[],
        shown_client_ids=[c.pk for c in clients],
        confirmed_by=admin_user,
    )


# --- Opening -----------------------------------------------------------------------------------------------


def test_an_admin_opens_an_incident_with_when_it_was_detected_and_happened(admin, client):
    response = client.post(
        "/staff/incidents/open/",
        {
            "detected_at": "2026-03-02T08:00",
            "occurred_at": "2026-03-01T22:00",
            "summary": "A backup was readable from the internet.",
            "data_involved": "E-mail addresses.",
            "measures": "Access closed.",
            "client_steps": "Watch for phishing.",
            "contact": "privacy@example.test",
        },
    )
    incident = Incident.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/staff/incidents/{incident.pk}/affected/"
    assert incident.detected_at.isoformat().startswith("2026-03-02") and incident.occurred_at < incident.detected_at
    assert incident.opened_by == admin
    assert AuditEntry.objects.filter(action="incident.opened", target_id=str(incident.pk), actor_id=admin.pk).exists()


def test_an_incident_cannot_happen_after_it_was_detected_nor_be_detected_in_the_future(admin, client):
    response = client.post(
        "/staff/incidents/open/",
        {
            "detected_at": "2026-03-02T08:00",
            "occurred_at": "2026-03-03T08:00",
            "summary": "x",
            "data_involved": "x",
            "measures": "x",
            "client_steps": "x",
        },
    )
    assert response.status_code == 200
    assert "It cannot have happened after it was detected." in response.content.decode()
    with pytest.raises(IncidentError, match="future"):
        incident_open(opened_by=admin, detected_at=now() + HOUR, summary="x")
    assert not Incident.objects.exists()


# --- Finding the affected clients --------------------------------------------------------------------------


def test_the_affected_clients_are_found_by_subject_and_window_and_not_others(
    admin, client, client_a, client_b, monkeypatch
):
    outsider = make_client("c@clients.test", "Client C")
    t0 = now() - timedelta(days=2)
    _entry_at(monkeypatch, t0 + HOUR, actor=admin, action="transcript.export", subject=client_a)
    _entry_at(monkeypatch, t0 + 2 * HOUR, actor=admin, action="session.viewed", subject=client_b)
    _entry_at(monkeypatch, t0 - HOUR, actor=admin, action="transcript.export", subject=outsider)  # before
    _entry_at(monkeypatch, t0 + 5 * HOUR, actor=admin, action="transcript.export", subject=outsider)  # after
    _entry_at(monkeypatch, t0 + HOUR, actor=admin, action="account.language_changed")  # no client

    found, _gone = affected_candidates(window_start=t0, window_end=t0 + 3 * HOUR)
    assert sorted(c.email for c in found) == ["a@clients.test", "b@clients.test"]
    found, _gone = affected_candidates(window_start=t0, window_end=t0 + 3 * HOUR, actions=["transcript.export"])
    assert [c.email for c in found] == ["a@clients.test"]

    incident = _incident(admin)
    fmt = "%Y-%m-%dT%H:%M"
    local = lambda t: t.astimezone(__import__("zoneinfo").ZoneInfo(settings.TIME_ZONE)).strftime(fmt)  # noqa: E731
    page = client.get(
        f"/staff/incidents/{incident.pk}/affected/",
        {"window_start": local(t0), "window_end": local(t0 + 3 * HOUR), "actions": "transcript.export"},
    ).content.decode()
    assert "1 client found" in page and "Client A" in page
    assert "Client B" not in page and "Client C" not in page
    assert AuditEntry.objects.filter(action="incident.affected_searched", target_id=str(incident.pk)).exists()


def test_the_admin_confirms_the_affected_set_and_it_is_recorded_per_client(admin, client_a, client_b, monkeypatch):
    t0 = now() - timedelta(days=1)
    _entry_at(monkeypatch, t0 + HOUR, actor=admin, action="transcript.export", subject=client_a)
    _entry_at(monkeypatch, t0 + HOUR, actor=admin, action="transcript.export", subject=client_b)
    incident = _incident(admin)
    with pytest.raises(IncidentError, match="changed since you looked"):
        incident_affected_confirm(
            incident=incident,
            window_start=t0,
            window_end=t0 + 2 * HOUR,
            actions=[],
            target_types=[],
            shown_client_ids=[client_a.pk],  # what the admin saw no longer matches what the log gives
            confirmed_by=admin,
        )
    assert not AffectedClient.objects.exists()

    _confirm(incident, admin, t0, t0 + 2 * HOUR)
    incident.refresh_from_db()
    assert incident.affected_confirmed_by == admin and incident.affected_confirmed_at is not None
    rows = {row.client.email: row for row in incident.affected.all()}
    assert set(rows) == {"a@clients.test", "b@clients.test"}
    assert rows["a@clients.test"].language == "id" and rows["b@clients.test"].language == "en"
    confirmed = AuditEntry.objects.get(action="incident.affected_confirmed")
    assert confirmed.detail["found"] == 2 and confirmed.actor_id == admin.pk
    assert set(AuditEntry.objects.filter(action="incident.client_affected").values_list("subject_id", flat=True)) == {
        client_a.pk,
        client_b.pk,
    }


# --- The clocks --------------------------------------------------------------------------------------------


def test_the_uu_pdp_clock_runs_3x24_hours_from_detection_and_is_met_only_when_clients_and_authority_are_told(
    admin, client_a, monkeypatch, django_capture_on_commit_callbacks
):
    detected = now() - 10 * HOUR
    t0 = now() - timedelta(days=1)
    _entry_at(monkeypatch, t0, actor=admin, action="transcript.export", subject=client_a)
    incident = _incident(admin, detected_at=detected)
    (clock,) = incident_clocks(incident=incident)
    assert clock.law == Law.UU_PDP and clock.deadline == detected + timedelta(hours=72)
    assert 61.9 < clock.hours_left < 62.1 and not clock.met

    _confirm(incident, admin, t0 - HOUR, t0 + HOUR)
    incident_client_notice_save(incident=incident, language="id", subject="Penting", body="Teks", edited_by=admin)
    with django_capture_on_commit_callbacks(execute=True):
        incident_client_notices_send(incident=incident, sent_by=admin)
    assert not incident_clocks(incident=incident)[0].met  # the authority is not told yet
    from incidents.services import incident_authority_notice_record

    incident_authority_notice_record(
        incident=incident,
        law=Law.UU_PDP,
        authority="Komdigi",
        body="Pemberitahuan",
        channel="email",
        sent_at=now(),
        recorded_by=admin,
    )
    (clock,) = incident_clocks(incident=incident)
    assert clock.met and not clock.overdue
    assert len(incident_clocks(incident=incident)) == 1  # nobody in the EU: no GDPR clock


def test_a_client_in_the_eu_starts_the_gdpr_72_hour_clock(admin, client_eu, client_b, monkeypatch):
    t0 = now() - timedelta(days=1)
    _entry_at(monkeypatch, t0, actor=admin, action="transcript.export", subject=client_eu)
    _entry_at(monkeypatch, t0, actor=admin, action="transcript.export", subject=client_b)
    detected = now() - 80 * HOUR
    incident = _incident(admin, detected_at=detected)
    _confirm(incident, admin, t0 - HOUR, t0 + HOUR)
    assert {row.client.email: row.in_eu for row in incident.affected.all()} == {
        "eu@clients.test": True,
        "b@clients.test": False,
    }
    clocks = {clock.law: clock for clock in incident_clocks(incident=incident)}
    assert set(clocks) == {Law.UU_PDP, Law.GDPR}
    assert clocks[Law.GDPR].deadline == detected + timedelta(hours=72) and clocks[Law.GDPR].overdue


def test_admins_are_reminded_at_24_12_and_2_hours_left_and_when_overdue_never_twice_for_one_mark(
    admin, client, counselor_a, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr("incidents.services.notify_user_on_commit", lambda **kw: sent.append(kw))
    detected = now() - 200 * HOUR  # the runs below name their moment
    incident = _incident(admin, detected_at=detected)
    sent.clear()
    mail.outbox.clear()

    def run(hours_after_detection: float) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return incident_clock_reminders(at=detected + timedelta(hours=hours_after_detection))

    assert run(47) == 0  # 25 hours left
    assert run(49) == 1 and run(49.5) == 0  # the 24-hour mark, once
    assert run(61) == 1 and run(61) == 0  # the 12-hour mark
    assert run(70.5) == 1 and run(71) == 0  # the 2-hour mark
    assert run(72.5) == 1 and run(90) == 0  # overdue, once
    assert list(ClockReminder.objects.filter(incident=incident).order_by("sent_at").values_list("mark", flat=True)) == [
        "24h",
        "12h",
        "2h",
        "overdue",
    ]
    assert [kw["user_id"] for kw in sent] == [admin.pk] * 4  # admins only, never a counselor
    assert "23 hours left" in sent[0]["payload"]["title"] and "deadline has passed" in sent[-1]["payload"]["title"]
    assert [m.to for m in mail.outbox] == [[admin.email]] * 4
    assert AuditEntry.objects.filter(action="incident.clock_reminder").count() == 4


def test_marks_passed_together_give_one_reminder(admin, monkeypatch, django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr("incidents.services.notify_user_on_commit", lambda **kw: sent.append(kw))
    incident = _incident(admin, detected_at=now() - 71 * HOUR)  # opened late: 1 hour left
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert incident_clock_reminders() == 1
        assert incident_clock_reminders() == 0
    assert set(ClockReminder.objects.filter(incident=incident).values_list("mark", flat=True)) == {"24h", "12h", "2h"}
    assert len(sent) == 1 and sent[0]["payload"]["urgent"] is True


def test_the_reminder_job_is_on_the_beat_schedule_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["incident-clocks"]
    assert entry["task"] == "incidents.tasks.incident_clocks_remind" and entry["schedule"] == 60.0


def test_the_staff_dashboard_shows_the_running_clocks(admin, client):
    incident = _incident(admin, detected_at=now() - 50 * HOUR)
    page = client.get("/staff/").content.decode()
    assert "Data breach: notice clocks running" in page
    assert f'href="/staff/incidents/{incident.pk}/"' in page and 'data-law="uu_pdp"' in page
    assert "22 hours" in page or "21 hours" in page


def test_the_running_clocks_are_those_of_the_incidents_of_the_last_30_days_soonest_first(
    admin, client_a, client_eu, monkeypatch
):
    """running_clocks reads the incidents with a statement composed once per process: the clocks of exactly the
    incidents the ORM's filter finds (detected in the last 30 days, the boundary included), their affected clients
    with them, soonest deadline first."""
    at = now()
    t0 = at - timedelta(days=2)
    _entry_at(monkeypatch, t0, actor=admin, action="transcript.export", subject=client_a)
    _entry_at(monkeypatch, t0, actor=admin, action="transcript.export", subject=client_eu)
    recent = _incident(admin, detected_at=at - 10 * HOUR)
    _confirm(recent, admin, t0 - HOUR, t0 + HOUR)  # an EU client: a GDPR clock too
    edge = _incident(admin, detected_at=at - timedelta(days=30))
    older = _incident(admin, detected_at=at - timedelta(days=30, seconds=1))
    middle = _incident(admin, detected_at=at - 30 * HOUR)
    expected = sorted(
        (
            (incident, clock)
            for incident in Incident.objects.filter(detected_at__gte=at - timedelta(days=30)).prefetch_related(
                "affected"
            )
            for clock in incident_clocks(incident=incident, at=at)
            if not clock.met
        ),
        key=lambda row: row[1].deadline,
    )
    found = running_clocks(at=at)
    assert [(incident.pk, clock) for incident, clock in found] == [(incident.pk, clock) for incident, clock in expected]
    assert [incident.pk for incident, _clock in found] == [edge.pk, middle.pk, recent.pk, recent.pk]
    assert older.pk not in {incident.pk for incident, _clock in found}
    assert [clock.law for incident, clock in found if incident.pk == recent.pk] == [Law.UU_PDP, Law.GDPR]


# --- Notices -----------------------------------------------------------------------------------------------


def test_each_client_gets_the_notice_in_their_language_once_and_it_is_recorded(
    admin, client, client_a, client_b, monkeypatch, django_capture_on_commit_callbacks
):
    t0 = now() - timedelta(days=1)
    _entry_at(monkeypatch, t0, actor=admin, action="transcript.export", subject=client_a)
    _entry_at(monkeypatch, t0, actor=admin, action="transcript.export", subject=client_b)
    incident = _incident(admin)
    _confirm(incident, admin, t0 - HOUR, t0 + HOUR)

    page = client.get(f"/staff/incidents/{incident.pk}/notices/").content.decode()
    # Drafted from the templates in both languages, with what UU PDP Pasal 46(2) asks.
    assert "Which of your data was exposed" in page and "Data Anda yang terungkap" in page
    assert "Yang sudah dan sedang kami lakukan" in page and "Siapa yang dapat dihubungi" in page
    assert "E-mail addresses and pseudonyms." in page

    mail.outbox.clear()
    response = client.post(f"/staff/incidents/{incident.pk}/notices/send/")
    assert response.status_code == 302 and not mail.outbox  # nothing goes out before the admin saved each language
    assert not AffectedClient.objects.filter(notice_sent_at__isnull=False).exists()

    for code in ("en", "id"):
        draft = client.get(f"/staff/incidents/{incident.pk}/notices/").context["forms"][code][1]
        client.post(
            f"/staff/incidents/{incident.pk}/notices/",
            {"language": code, f"{code}-subject": draft.initial["subject"], f"{code}-body": draft.initial["body"]},
        )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/staff/incidents/{incident.pk}/notices/send/")
    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert set(by_recipient) == {"a@clients.test", "b@clients.test"}
    assert "insiden keamanan" in by_recipient["a@clients.test"].subject
    assert "Data Anda yang terungkap" in by_recipient["a@clients.test"].body
    assert "security incident" in by_recipient["b@clients.test"].subject
    for message in mail.outbox:  # nothing about the client themselves
        assert "Client A" not in message.body and "Client B" not in message.body and "@clients.test" not in message.body
    rows = AffectedClient.objects.filter(incident=incident)
    assert all(row.notice_sent_at is not None for row in rows)
    notified = AuditEntry.objects.filter(action="incident.client_notified")
    assert set(notified.values_list("subject_id", flat=True)) == {client_a.pk, client_b.pk}

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert incident_client_notices_send(incident=incident, sent_by=admin) == (0, 0)
    assert mail.outbox == []


def test_a_failed_send_is_not_recorded_as_sent_and_can_be_retried(admin, client_a, monkeypatch):
    t0 = now() - timedelta(days=1)
    _entry_at(monkeypatch, t0, actor=admin, action="transcript.export", subject=client_a)
    incident = _incident(admin)
    _confirm(incident, admin, t0 - HOUR, t0 + HOUR)
    incident_client_notice_save(incident=incident, language="id", subject="Penting", body="Teks", edited_by=admin)

    def broken(**kwargs):
        raise OSError("SMTP down")

    monkeypatch.setattr("incidents.services.email_person", broken)
    assert incident_client_notices_send(incident=incident, sent_by=admin) == (0, 1)
    assert AffectedClient.objects.get().notice_sent_at is None
    monkeypatch.undo()
    assert incident_client_notices_send(incident=incident, sent_by=admin) == (1, 0)
    assert AffectedClient.objects.get().notice_sent_at is not None


def test_the_authority_notice_is_drafted_and_recorded_as_sent_with_its_channel(admin, client, client_a, monkeypatch):
    t0 = now() - timedelta(days=1)
    _entry_at(monkeypatch, t0, actor=admin, action="transcript.export", subject=client_a)
    incident = _incident(admin)
    _confirm(incident, admin, t0 - HOUR, t0 + HOUR)
    page = client.get(f"/staff/incidents/{incident.pk}/authority/uu_pdp/").content.decode()
    assert "Komdigi" in page and "Pasal 46" in page and "Jumlah subjek data pribadi yang terdampak: 1" in page
    assert client.get(f"/staff/incidents/{incident.pk}/authority/nowhere/").status_code == 404

    form = client.get(f"/staff/incidents/{incident.pk}/authority/uu_pdp/").context["form"]
    response = client.post(
        f"/staff/incidents/{incident.pk}/authority/uu_pdp/",
        {
            "authority": form.initial["authority"],
            "body": form.initial["body"],
            "channel": "",
            "sent_at": "2026-01-01T10:00",
        },
    )
    assert response.status_code == 200 and not AuthorityNotice.objects.exists()  # how it was sent is required
    client.post(
        f"/staff/incidents/{incident.pk}/authority/uu_pdp/",
        {
            "authority": form.initial["authority"],
            "body": form.initial["body"],
            "channel": "e-mail to the ministry's PDP desk",
            "reference": "REF-1",
            "sent_at": "2026-01-01T10:00",
        },
    )
    notice = AuthorityNotice.objects.get()
    assert notice.law == Law.UU_PDP and notice.channel == "e-mail to the ministry's PDP desk"
    assert notice.recorded_by == admin
    entry = AuditEntry.objects.get(action="incident.authority_notified")
    assert entry.detail["channel"] == notice.channel and entry.detail["law"] == "uu_pdp"


# --- Who may ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["client_a", "counselor_a"])
def test_only_admins_open_the_incident_pages(persona, request, client, staff_login, admin_user):
    incident = _incident(admin_user)
    person = request.getfixturevalue(persona)
    staff_login(client, person) if person.role != "client" else client.force_login(person)
    for path in (
        "/staff/incidents/",
        "/staff/incidents/open/",
        f"/staff/incidents/{incident.pk}/",
        f"/staff/incidents/{incident.pk}/affected/",
        f"/staff/incidents/{incident.pk}/notices/",
        f"/staff/incidents/{incident.pk}/authority/uu_pdp/",
    ):
        assert client.get(path).status_code in (403, 404), path
    assert client.post(f"/staff/incidents/{incident.pk}/notices/send/").status_code in (403, 404)
    assert client.post("/staff/incidents/open/", {"summary": "x", "detected_at": "2026-01-01T10:00"}).status_code == 403
    assert Incident.objects.count() == 1


def test_anonymous_visitors_are_sent_to_sign_in(db, client):
    response = client.get("/staff/incidents/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# --- The consent's promise ---------------------------------------------------------------------------------


def test_the_consent_promises_the_uu_pdp_clock_in_both_languages(admin_user):
    """The consent in force says we tell clients and the authorities "within 3 x 24 hours" ("dalam waktu 3 x 24
    jam"); the incident clock counts exactly that (BREACH_NOTICE_HOURS_UU_PDP). Changing one alone fails here."""
    from consent.selectors import consent_version_in_force
    from consent.services import consent_defaults_publish

    consent_defaults_publish()
    patterns = {"en": r"within (\d+) x (\d+) hours", "id": r"dalam waktu\s+(\d+) x (\d+) jam"}
    incident = _incident(admin_user, detected_at=now() - HOUR)
    for language, pattern in patterns.items():
        text = consent_version_in_force(language=language).sections.get(key="confidentiality_limits").body
        found = re.findall(pattern, text)
        assert len(found) == 1, language
        promised = int(found[0][0]) * int(found[0][1])
        assert promised == settings.BREACH_NOTICE_HOURS_UU_PDP, language
        assert uu_pdp_deadline(incident=incident) - incident.detected_at == timedelta(hours=promised)
        assert incident_clocks(incident=incident)[0].hours == promised
