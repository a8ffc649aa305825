"""The notice centre: every notice a person is sent is kept as it is sent, and listed on /notices/ with read and
unread; the header counts the unread ones. Booking, cancellation, ID review, licence decision, new message."""

import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from counseling.models import Notice
from counseling.notifications import notify_user_now
from sessions.models import WeeklyAvailability
from sessions.services import session_book, session_cancel
from tests.sessions.booking_support import MONDAY, open_gates, run_tasks_eagerly, taken_on

AT = MONDAY - timedelta(days=3)
SLOT = datetime(2027, 2, 1, 2, 0, tzinfo=UTC)  # Monday 09:00 in Jakarta


@pytest.fixture(autouse=True)
def _language_back_to_default():
    """A request with the Indonesian cookie leaves Indonesian active in this thread (the test client's
    LocaleMiddleware): put it back, so later tests read the default language."""
    yield
    translation.deactivate()


def _png() -> bytes:
    from tests.counseling.test_identity_documents_sniffing import png_bytes

    return png_bytes(body=400)


# --- Kept as sent ------------------------------------------------------------------------------------------------


def test_a_notice_with_a_title_is_kept_for_its_person_and_carries_their_unread_count(client_a, client_b, monkeypatch):
    sent = []
    monkeypatch.setattr("counseling.notifications.group_send_now", lambda *, group, event: sent.append(event))
    notify_user_now(user_id=client_a.pk, payload={"type": "session.booked", "id": 7, "title": "Booked"})
    notice = Notice.objects.get()
    assert sent[0]["payload"]["unread"] == 1 and sent[0]["payload"]["notice_id"] == notice.pk
    assert (notice.user, notice.kind, notice.ref, notice.title, notice.read_at) == (
        client_a,
        "session.booked",
        "7",
        "Booked",
        None,
    )
    assert not Notice.objects.filter(user=client_b).exists()


def test_an_event_without_a_title_is_not_a_notice(client_a):
    notify_user_now(user_id=client_a.pk, payload={"kind": "session_state", "session_id": 3, "state": "open"})
    assert not Notice.objects.exists()


def test_a_further_notice_about_the_same_thing_replaces_the_unread_one(client_a):
    for title in ("New message from Client A", "New message from Client A (2)"):
        notify_user_now(user_id=client_a.pk, payload={"type": "message.received", "id": 5, "title": title})
    assert list(Notice.objects.values_list("title", flat=True)) == ["New message from Client A (2)"]
    Notice.objects.update(read_at=AT)
    notify_user_now(user_id=client_a.pk, payload={"type": "message.received", "id": 5, "title": "Again"})
    assert Notice.objects.count() == 2


def test_a_link_off_the_site_is_not_kept(client_a):
    for url in ("https://evil.example/", "//evil.example/", "/\\evil.example/"):
        notify_user_now(user_id=client_a.pk, payload={"type": "x", "title": "T", "url": url})
    assert set(Notice.objects.values_list("url", flat=True)) == {""}


def test_a_failure_to_keep_never_fails_the_send(client_a, monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr("counseling.notifications.notice_keep", broken)
    notify_user_now(user_id=client_a.pk, payload={"type": "x", "title": "T"})
    assert "Keeping a notice" in caplog.text


# --- Each kind the issue names is kept, in the person's language ---------------------------------------------


@pytest.fixture
def bookable(db, monkeypatch, counselor_a, client_a):
    open_gates(monkeypatch)
    run_tasks_eagerly(monkeypatch)
    WeeklyAvailability.objects.create(counselor=counselor_a, weekday=0, start_time=time(9), end_time=time(12))
    taken_on(client_a, counselor_a)  # their first request was accepted: an ordinary booking
    return counselor_a, client_a


def test_booking_and_cancellation_are_kept_for_both_in_their_languages(bookable, django_capture_on_commit_callbacks):
    counselor, client = bookable  # client A reads Indonesian; counselor A's first language is Indonesian
    with django_capture_on_commit_callbacks(execute=True):
        session = session_book(client=client, counselor=counselor, starts_at=SLOT, at=AT)
    with django_capture_on_commit_callbacks(execute=True):
        session_cancel(session=session, actor=client, reason="unwell", at=AT)
    for person in (client, counselor):
        kinds = dict(Notice.objects.filter(user=person).values_list("kind", "title"))
        assert kinds == {"session.booked": "Sesi dipesan", "session.cancelled": "Sesi dibatalkan"}
        assert set(Notice.objects.filter(user=person).values_list("url", flat=True)) == {
            reverse("sessions:session_detail", args=[session.pk])
        }


def test_the_id_review_result_is_kept_for_the_client(client_b, admin_user, django_capture_on_commit_callbacks):
    from identity.services import identity_document_review, identity_document_upload

    document = identity_document_upload(client=client_b, name="passport.png", data=_png())
    with django_capture_on_commit_callbacks(execute=True):
        identity_document_review(document=document, reviewer=admin_user, verified=True)
    notice = Notice.objects.get(user=client_b)
    assert (notice.kind, notice.title, notice.url) == (
        "identity_document.reviewed",
        "Your identity document was verified.",
        reverse("intake:identity_upload"),
    )


def test_a_licence_decision_is_kept_for_the_counselor(counselor_b, admin_user, django_capture_on_commit_callbacks):
    from licensing.services import licence_verify
    from tests.licensing.factories import licence

    row = licence(counselor_b, "US-TX", kind="us_lpc", state="submitted", number="LPC-1", submitted_by=counselor_b)
    with django_capture_on_commit_callbacks(execute=True):
        licence_verify(licence=row, admin=admin_user, registry_reference="TX-1", registry_finding="active")
    notice = Notice.objects.get(user=counselor_b)
    assert notice.kind == "licence.verified" and notice.url == reverse("licensing:my_licences")
    assert "LPC-1" in notice.title


def test_a_clients_message_between_sessions_is_kept_for_the_counselor_without_what_was_written(
    client_a, counselor_a, monkeypatch, django_capture_on_commit_callbacks
):
    from sessions.chat.services import message_post
    from tests.sessions.chat_helpers import open_gates as open_chat_gates
    from tests.sessions.chat_helpers import open_session

    open_chat_gates(monkeypatch)
    conversation, _session = open_session(client_a, counselor_a)
    Notice.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        message_post(conversation=conversation, sender=client_a, client_msg_id=uuid.uuid4(), body="I lost my job")
    notice = Notice.objects.get(user=counselor_a, kind="message.received")
    with translation.override("id"):  # counselor A's first language
        assert notice.title == _("New message from %(name)s") % {"name": "Client A"}
    assert "lost my job" not in f"{notice.title} {notice.body}"
    assert notice.url == reverse("sessions:conversation_chat", args=[conversation.pk])


# --- The list ----------------------------------------------------------------------------------------------------


def _notice(user, title="Session booked", url="/client/", **extra):
    return Notice.objects.create(user=user, kind="session.booked", title=title, url=url, **extra)


def test_the_list_shows_only_the_persons_own_notices_read_and_unread(client, client_a, client_b):
    _notice(client_a, "Mine unread")
    _notice(client_a, "Mine read", read_at=AT)
    _notice(client_b, "Someone else's")
    client.force_login(client_a)
    page = client.get(reverse("notices")).content.decode()
    assert "Mine unread" in page and "Mine read" in page and "Someone else&#x27;s" not in page
    assert page.count('class="card notice-row unread"') == 1


def test_the_header_counts_the_unread_notices(client, client_a, client_b):
    _notice(client_a)
    _notice(client_a, "Another")
    _notice(client_a, "Read already", read_at=AT)
    _notice(client_b, "Someone else's")
    client.force_login(client_a)
    page = client.get(reverse("client_home")).content.decode()
    assert "<span data-notice-count-value>2</span>" in page
    assert '<span class="notice-count" data-notice-count>' in page  # shown


def test_the_header_hides_a_count_of_none(client, client_a, client_b):
    _notice(client_a, "Read already", read_at=AT)
    _notice(client_b, "Someone else's")
    client.force_login(client_a)
    page = client.get(reverse("client_home")).content.decode()
    assert '<span class="notice-count" data-notice-count hidden>' in page
    assert "<span data-notice-count-value>0</span>" in page


def test_marking_one_read_then_following_its_link(client, client_a):
    notice = _notice(client_a, url="/sessions/book/")
    client.force_login(client_a)
    response = client.post(reverse("notice_read", args=[notice.pk]), {"next": notice.url})
    assert response.status_code == 302 and response["Location"] == "/sessions/book/"
    notice.refresh_from_db()
    assert notice.read_at is not None


def test_a_next_link_off_the_site_is_not_followed(client, client_a):
    notice = _notice(client_a)
    client.force_login(client_a)
    response = client.post(reverse("notice_read", args=[notice.pk]), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("notices")


def test_nobody_marks_another_persons_notice(client, client_a, client_b):
    notice = _notice(client_a)
    client.force_login(client_b)
    assert client.post(reverse("notice_read", args=[notice.pk])).status_code == 404
    notice.refresh_from_db()
    assert notice.read_at is None


def test_mark_all_read_marks_only_the_persons_own(client, client_a, client_b):
    _notice(client_b)
    _notice(client_b, "Two")
    other = _notice(client_a)
    client.force_login(client_b)  # reads English
    response = client.post(reverse("notices"), follow=True)
    assert "2 notices marked as read." in response.content.decode()
    assert not Notice.objects.filter(user=client_b, read_at__isnull=True).exists()
    other.refresh_from_db()
    assert other.read_at is None


def test_the_list_needs_a_sign_in(client):
    response = client.get(reverse("notices"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_the_list_in_both_languages(client, client_b, bookable, django_capture_on_commit_callbacks):
    counselor, client_a = bookable
    with django_capture_on_commit_callbacks(execute=True):
        session_book(client=client_a, counselor=counselor, starts_at=SLOT, at=AT)
    client.force_login(client_a)
    client.cookies["django_language"] = "id"
    page = client.get(reverse("notices")).content.decode()
    assert '<html lang="id">' in page and "Sesi dipesan" in page  # kept in the client's language, Indonesian
    client.force_login(client_b)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("notices")).content.decode()
    assert '<html lang="en">' in page and "No notices yet." in page
