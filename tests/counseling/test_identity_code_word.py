"""Code word: the client answers privately; the counselor learns only match or no match; failures limited."""

from datetime import timedelta

import pytest
from django.urls import reverse

from counseling.clock import now
from counseling.models import AuditEntry
from identity.models import CodeWordCheck
from identity.services import CodeWordLocked, code_word_check
from tests.counseling.test_intake import complete_intake

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(client_a, counselor_a):
    from sessions.models import CounselingSession

    complete_intake(client_a, code_word="Kupu-kupu  Biru")
    return CounselingSession.objects.create(
        client=client_a,
        counselor=counselor_a,
        starts_at=now() + timedelta(minutes=5),
        ends_at=now() + timedelta(minutes=55),
    )


def test_the_check_answers_match_or_no_match_only(session):
    assert code_word_check(session=session, attempt="kupu-kupu biru") is True  # case and spaces do not count
    assert code_word_check(session=session, attempt="kupu kupu biru") is False
    assert list(CodeWordCheck.objects.values_list("matched", flat=True)) == [True, False]


def test_the_word_never_appears_in_the_audit_log_or_the_check_rows(session):
    code_word_check(session=session, attempt="a wrong guess")
    for entry in AuditEntry.objects.filter(action__startswith="code_word"):
        assert "biru" not in str(entry.detail).lower() and "guess" not in str(entry.detail)
    assert {f.name for f in CodeWordCheck._meta.get_fields()} == {"id", "client", "session", "checked_at", "matched"}


def test_repeated_failures_are_limited_and_logged(session, settings):
    settings.CODE_WORD_FAILURE_LIMIT = 3
    for _ in range(3):
        assert code_word_check(session=session, attempt="guess") is False
    with pytest.raises(CodeWordLocked):
        code_word_check(session=session, attempt="kupu-kupu biru")  # even the right word, while locked
    assert AuditEntry.objects.filter(action="code_word.locked").count() == 1
    assert CodeWordCheck.objects.count() == 3


def test_the_limit_lifts_after_the_window(session, settings):
    settings.CODE_WORD_FAILURE_LIMIT = 2
    for _ in range(2):
        code_word_check(session=session, attempt="guess")
    CodeWordCheck.objects.update(checked_at=now() - timedelta(minutes=settings.CODE_WORD_FAILURE_WINDOW_MINUTES + 1))
    assert code_word_check(session=session, attempt="kupu-kupu biru") is True


def test_the_client_answers_on_a_private_page_and_the_counselor_sees_only_the_result(
    client, session, client_a, counselor_a, staff_login
):
    client.force_login(client_a)
    response = client.post(reverse("sessions:code_word_answer", args=[session.pk]), {"attempt": "salah"})
    assert b"does not match" in response.content
    staff_login(client, counselor_a)
    page = client.get(reverse("sessions:code_word_result", args=[session.pk])).content.decode()
    assert "Does not match" in page and "salah" not in page and "biru" not in page.lower()
    client.force_login(client_a)
    assert (
        b"it matches"
        in client.post(reverse("sessions:code_word_answer", args=[session.pk]), {"attempt": "kupu-kupu biru"}).content
    )
    staff_login(client, counselor_a)
    assert b"Matches" in client.get(reverse("sessions:code_word_result", args=[session.pk])).content


def test_the_locked_state_is_shown_to_the_client(client, session, client_a, settings):
    settings.CODE_WORD_FAILURE_LIMIT = 1
    client.force_login(client_a)
    client.post(reverse("sessions:code_word_answer", args=[session.pk]), {"attempt": "x1"})
    response = client.post(reverse("sessions:code_word_answer", args=[session.pk]), {"attempt": "x2"})
    assert b"Too many attempts" in response.content


def test_outsiders_cannot_answer_or_read_the_code_word_result(
    client, session, client_b, counselor_b, admin_user, staff_login, counselor_a
):
    answer = reverse("sessions:code_word_answer", args=[session.pk])
    result = reverse("sessions:code_word_result", args=[session.pk])
    client.force_login(client_b)
    assert client.post(answer, {"attempt": "kupu-kupu biru"}).status_code == 404
    assert client.get(result).status_code == 403
    staff_login(client, counselor_b)
    assert client.get(result).status_code == 404
    assert client.get(answer).status_code == 403
    staff_login(client, admin_user)
    assert client.get(result).status_code == 403
    client.logout()
    assert client.get(answer).status_code == 302
    assert not CodeWordCheck.objects.exists()
