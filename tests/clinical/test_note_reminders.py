"""Unsigned notes of past sessions on the counselor's dashboard, and one reminder per overdue note, never twice."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import translation
from django.utils.translation import gettext

from clinical.models.notes import NoteReminder
from clinical.notes import note_reminders_send, note_save_draft, notes_unsigned_panel
from clinical.tasks_notes import progress_note_reminders_send
from counseling import clock
from counseling.models import AuditEntry, Notice
from tests.clinical.conftest import SOAP, held_session, signed_note

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _due_after_a_day(settings):
    settings.PROGRESS_NOTE_DUE_HOURS = 24


def send(django_capture_on_commit_callbacks, **kwargs) -> int:
    with django_capture_on_commit_callbacks(execute=True):
        return note_reminders_send(**kwargs)


def test_the_dashboard_lists_unsigned_notes_of_past_sessions_only(client, client_a, counselor_a, staff_login):
    overdue = held_session(client_a, counselor_a, ended_hours_ago=30)
    drafted = held_session(client_a, counselor_a, ended_hours_ago=2)
    note_save_draft(counselor=counselor_a, session=drafted, structure="soap", sections=SOAP)
    signed_note(held_session(client_a, counselor_a, ended_hours_ago=5))
    held_session(client_a, counselor_a, ended_hours_ago=-3, state="scheduled")  # still to come
    held_session(client_a, counselor_a, ended_hours_ago=8, state="cancelled")
    panel = notes_unsigned_panel(counselor=counselor_a)
    assert [row["session_id"] for row in panel["rows"]] == [overdue.pk, drafted.pk]
    assert [row["overdue"] for row in panel["rows"]] == [True, False]
    assert [row["draft"] for row in panel["rows"]] == [False, True]
    assert [row["client_name"] for row in panel["rows"]] == [client_a.client_profile.display_name] * 2
    staff_login(client, counselor_a)
    page = client.get("/counselor/").content.decode()
    assert "Progress notes to sign" in page
    assert f"/clinical/sessions/{overdue.pk}/note/" in page and f"/clinical/sessions/{drafted.pk}/note/" in page
    assert "overdue since" in page


def test_the_panel_counts_every_unsigned_note_beyond_the_rows_it_lists(client_a, counselor_a):
    for hours in (30, 20, 10):
        held_session(client_a, counselor_a, ended_hours_ago=hours)
    signed_note(held_session(client_a, counselor_a, ended_hours_ago=5))
    for limit, shown in ((2, 2), (3, 3), (4, 3)):
        panel = notes_unsigned_panel(counselor=counselor_a, limit=limit)
        assert (len(panel["rows"]), panel["total"]) == (shown, 3)


def test_an_overdue_note_is_reminded_once_on_the_page_and_by_e_mail(
    client_a, counselor_a, django_capture_on_commit_callbacks
):
    counselor_a.language = "en"  # the words below are English; the language itself is the test further down
    counselor_a.save(update_fields=["language"])
    overdue = held_session(client_a, counselor_a, ended_hours_ago=25)
    held_session(client_a, counselor_a, ended_hours_ago=23)  # not due yet
    signed_note(held_session(client_a, counselor_a, ended_hours_ago=40))  # signed in time
    assert send(django_capture_on_commit_callbacks) == 1
    (message,) = mail.outbox
    assert message.to == [counselor_a.email] and "overdue" in message.subject
    assert f"/clinical/sessions/{overdue.pk}/note/" in message.body
    assert "Client A" not in message.body and SOAP["subjective"] not in message.body
    notice = Notice.objects.get(user=counselor_a, kind="progress_note.overdue")
    assert notice.url == f"/clinical/sessions/{overdue.pk}/note/"
    # Never twice: the next runs (and the task itself) send nothing more for that session.
    assert send(django_capture_on_commit_callbacks) == 0
    assert progress_note_reminders_send() == 0
    assert len(mail.outbox) == 1 and NoteReminder.objects.count() == 1
    assert AuditEntry.objects.filter(action="progress_note.reminder_sent").count() == 1
    # The session that was not due yet is reminded once its time comes, once.
    later = clock.now() + timedelta(hours=2)
    assert send(django_capture_on_commit_callbacks, at=later) == 1
    assert send(django_capture_on_commit_callbacks, at=later) == 0
    assert len(mail.outbox) == 2


def test_a_draft_still_counts_as_unsigned_for_the_reminder(client_a, counselor_a, django_capture_on_commit_callbacks):
    session = held_session(client_a, counselor_a, ended_hours_ago=30)
    note_save_draft(counselor=counselor_a, session=session, structure="free", sections={"text": "half written"})
    assert send(django_capture_on_commit_callbacks) == 1
    assert "half written" not in mail.outbox[0].body


def test_the_deadline_is_the_setting(settings, client_a, counselor_a, django_capture_on_commit_callbacks):
    settings.PROGRESS_NOTE_DUE_HOURS = 72
    held_session(client_a, counselor_a, ended_hours_ago=30)
    assert send(django_capture_on_commit_callbacks) == 0
    assert send(django_capture_on_commit_callbacks, at=clock.now() + timedelta(hours=43)) == 1


@pytest.mark.parametrize("language", ["id", "en"])
def test_the_reminder_is_written_in_the_counselors_language(
    language, client_a, counselor_a, django_capture_on_commit_callbacks
):
    counselor_a.language = language
    counselor_a.save(update_fields=["language"])
    held_session(client_a, counselor_a, ended_hours_ago=30)
    with translation.override("en" if language == "id" else "id"):  # whatever language the job runs in
        assert send(django_capture_on_commit_callbacks) == 1
    with translation.override(language):
        expected = gettext("A progress note is overdue")
    assert mail.outbox[0].subject.endswith(expected)
    assert Notice.objects.get(user=counselor_a, kind="progress_note.overdue").title == expected


def test_the_panel_counts_the_signed_notes_awaiting_a_co_signature_with_or_without_rows(client_a, counselor_a):
    from clinical.models.notes import ProgressNote

    waiting = [signed_note(held_session(client_a, counselor_a, ended_hours_ago=hours)) for hours in (50, 40, 30)]
    ProgressNote.objects.filter(pk__in=[note.pk for note in waiting[:2]]).update(cosign_required=True)
    assert notes_unsigned_panel(counselor=counselor_a)["awaiting_cosign"] == 2  # no unsigned note: no row
    held_session(client_a, counselor_a, ended_hours_ago=10)
    panel = notes_unsigned_panel(counselor=counselor_a)
    assert (len(panel["rows"]), panel["awaiting_cosign"]) == (1, 2)  # the count rides along with the rows
    ProgressNote.objects.filter(pk=waiting[0].pk).update(cosigned_at=clock.now())
    assert notes_unsigned_panel(counselor=counselor_a)["awaiting_cosign"] == 1


def test_the_panel_reads_the_rows_the_orm_composes_for_each_counselor_and_time(
    client_a, client_b, counselor_a, counselor_b
):
    """The panel's statement is composed once (counseling.statements) and reused: any counselor and time gets
    exactly the rows of the queryset the ORM composes for them."""
    from clinical.models.notes import ProgressNote
    from clinical.notes import _notes_unsigned_shown

    for hours, client, counselor in (
        (50, client_a, counselor_a),
        (30, client_b, counselor_a),
        (20, client_a, counselor_b),
    ):
        held_session(client, counselor, ended_hours_ago=hours)
        drafted = held_session(client, counselor, ended_hours_ago=hours - 5)
        note_save_draft(counselor=counselor, session=drafted, structure="soap", sections=SOAP)
    cosigned = signed_note(held_session(client_b, counselor_b, ended_hours_ago=60))
    ProgressNote.objects.filter(pk=cosigned.pk).update(cosign_required=True)
    for counselor in (counselor_a, counselor_b):
        for at in (clock.now(), clock.now() - timedelta(hours=40), clock.now() - timedelta(hours=100)):
            for limit in (1, 20):
                expected = list(_notes_unsigned_shown(counselor=counselor, at=at)[:limit])
                panel = notes_unsigned_panel(counselor=counselor, at=at, limit=limit)
                assert [row["session_id"] for row in panel["rows"]] == [row["pk"] for row in expected]
                assert [row["client_name"] for row in panel["rows"]] == [row["client_name"] for row in expected]
                assert [row["draft"] for row in panel["rows"]] == [row["note_id"] is not None for row in expected]
                assert panel["total"] == (expected[0]["total"] if expected else 0)
                if expected:
                    assert panel["awaiting_cosign"] == expected[0]["awaiting_cosign"]
