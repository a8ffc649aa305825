"""Outcome measures: PHQ-9 and GAD-7 scored on the server with their severity bands, asked on the counselor's
schedule, sealed under the client's key, charted for the client's own counselor only; a PHQ-9 item 9 above
"not at all" opens an escalation at once, and the answer is kept even when opening it fails."""

from datetime import timedelta

import pytest

from clinical.instruments import GAD7, PHQ9, score
from clinical.models import Cadence, MeasureResponse
from clinical.selectors_measures import measure_due, measure_response_opened, measures_due_for
from clinical.services_measures import measure_schedule_set, measure_submit
from counseling import clock
from counseling.crypto import data_key_destroy
from counseling.models import AuditEntry
from crisis import services as crisis_services
from crisis.models import Escalation, EscalationAlert, EscalationKind, Rung, Severity
from sessions.models import CounselingSession
from tests.counseling.test_escalation_support import eager_celery, pushed  # noqa: F401

pytestmark = pytest.mark.usefixtures("eager_celery", "pushed")

PHQ9_CALM = [0, 1, 0, 1, 0, 0, 1, 0, 0]


def book(client, counselor, *, in_hours: float, state="scheduled"):
    at = clock.now() + timedelta(hours=in_hours)
    return CounselingSession.objects.create(
        client=client, counselor=counselor, starts_at=at, ends_at=at + timedelta(minutes=50), state=state
    )


@pytest.fixture
def pair(client_a, counselor_a):
    book(client_a, counselor_a, in_hours=24)
    return client_a, counselor_a


@pytest.fixture
def phq9(pair):
    client, counselor = pair
    return measure_schedule_set(
        counselor=counselor, client=client, instrument=PHQ9, cadence=Cadence.BEFORE_EACH_SESSION
    )


@pytest.fixture
def gad7(pair):
    client, counselor = pair
    return measure_schedule_set(
        counselor=counselor, client=client, instrument=GAD7, cadence=Cadence.BEFORE_EACH_SESSION
    )


# --- Scoring and bands ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately_severe"),
        (19, "moderately_severe"),
        (20, "severe"),
        (27, "severe"),
    ],
)
def test_phq9_total_falls_in_its_severity_band(total, band):
    answers = [3] * (total // 3) + ([total % 3] if total % 3 else [])
    answers += [0] * (9 - len(answers))
    result = score(instrument=PHQ9, answers=answers)
    assert (result.total, result.band.key) == (total, band)


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_gad7_total_falls_in_its_severity_band(total, band):
    answers = [3] * (total // 3) + ([total % 3] if total % 3 else [])
    answers += [0] * (7 - len(answers))
    result = score(instrument=GAD7, answers=answers)
    assert (result.total, result.band.key) == (total, band)


@pytest.mark.parametrize("answers", [[0] * 8, [0] * 10, [0] * 8 + [4], [0] * 8 + [-1]])
def test_an_incomplete_or_out_of_range_phq9_is_refused(answers):
    with pytest.raises(ValueError):
        score(instrument=PHQ9, answers=answers)


def test_item_9_is_reported_apart_for_the_phq9_only():
    assert score(instrument=PHQ9, answers=[0] * 8 + [2]).safety_answer == 2
    assert score(instrument=GAD7, answers=[1] * 7).safety_answer is None


# --- The schedule -------------------------------------------------------------------------------------


def test_before_every_session_is_due_within_72_hours_of_the_next_session_until_answered(phq9, client_a):
    assert measure_due(schedule=phq9) is not None  # the session is 24 hours away
    measure_submit(client=client_a, schedule=phq9, answers=PHQ9_CALM, language="en")
    assert measure_due(schedule=phq9) is None


def test_before_every_session_is_not_due_a_week_ahead_nor_without_a_session(client_a, counselor_a):
    schedule = measure_schedule_set(
        counselor=counselor_a, client=client_a, instrument=PHQ9, cadence=Cadence.BEFORE_EACH_SESSION
    )
    assert measure_due(schedule=schedule) is None  # no session at all
    book(client_a, counselor_a, in_hours=24 * 7)
    assert measure_due(schedule=schedule) is None
    assert measure_due(schedule=schedule, at=clock.now() + timedelta(days=5)) is not None


def test_an_answer_before_the_previous_session_does_not_count_for_the_next(phq9, client_a, counselor_a):
    measure_submit(client=client_a, schedule=phq9, answers=PHQ9_CALM, language="en")
    CounselingSession.objects.filter(client=client_a).update(state="completed")
    book(client_a, counselor_a, in_hours=24 * 7)
    assert measure_due(schedule=phq9, at=clock.now() + timedelta(days=6)) is not None


def test_every_n_weeks_is_due_when_the_last_answer_is_older(client_a, counselor_a):
    schedule = measure_schedule_set(
        counselor=counselor_a, client=client_a, instrument=GAD7, cadence=Cadence.EVERY_N_WEEKS, every_weeks=2
    )
    assert measure_due(schedule=schedule) is not None  # never answered
    measure_submit(client=client_a, schedule=schedule, answers=[1] * 7, language="id")
    assert measure_due(schedule=schedule) is None
    assert measure_due(schedule=schedule, at=clock.now() + timedelta(weeks=2, minutes=1)) is not None


def test_a_stopped_schedule_is_never_due(phq9, client_a, counselor_a):
    measure_schedule_set(
        counselor=counselor_a, client=client_a, instrument=PHQ9, cadence=Cadence.BEFORE_EACH_SESSION, active=False
    )
    phq9.refresh_from_db()
    assert measure_due(schedule=phq9) is None


def test_the_client_home_shows_the_due_measure_with_its_link(phq9, client_a, client):
    client.force_login(client_a)
    page = client.get("/client/").content.decode()
    assert 'id="measures-due"' in page
    assert f"/clinical/measures/{phq9.pk}/" in page


# --- Filling in ---------------------------------------------------------------------------------------


def _post_answers(answers, wording="en"):
    return {"wording": wording, **{f"item_{n}": str(value) for n, value in enumerate(answers, start=1)}}


def test_the_client_fills_in_the_phq9_and_the_answers_are_sealed(phq9, client_a, client):
    client.force_login(client_a)
    page = client.get(f"/clinical/measures/{phq9.pk}/?wording=id").content.decode()
    assert "Kurang berminat atau bergairah dalam melakukan apapun" in page
    response = client.post(f"/clinical/measures/{phq9.pk}/", _post_answers([2, 2, 1, 1, 1, 1, 1, 1, 0], "id"))
    assert response.status_code == 302
    stored = MeasureResponse.objects.get(client=client_a)
    assert stored.language == "id"
    assert b"answers" not in bytes(stored.answers_sealed)
    assert measure_response_opened(stored) == {"answers": [2, 2, 1, 1, 1, 1, 1, 1, 0], "total": 10, "band": "moderate"}
    assert AuditEntry.objects.filter(action="measure.submitted", subject_id=str(client_a.pk)).exists()
    assert not Escalation.objects.exists()


def test_a_missing_answer_is_refused_with_a_message_and_nothing_is_stored(phq9, client_a, client):
    client.force_login(client_a)
    data = _post_answers(PHQ9_CALM)
    del data["item_4"]
    response = client.post(f"/clinical/measures/{phq9.pk}/", data)
    assert response.status_code == 200
    assert "Please answer every question." in response.content.decode()
    assert not MeasureResponse.objects.exists()


def test_another_client_cannot_open_or_answer_the_schedule(phq9, client_b, client):
    client.force_login(client_b)
    assert client.get(f"/clinical/measures/{phq9.pk}/").status_code == 404
    assert client.post(f"/clinical/measures/{phq9.pk}/", _post_answers(PHQ9_CALM)).status_code == 404
    assert not MeasureResponse.objects.exists()


# --- PHQ-9 item 9 ---------------------------------------------------------------------------------------


def test_item_9_answered_opens_an_escalation_at_once_through_the_ladder(
    phq9,
    client_a,
    counselor_a,
    client,
    pushed,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    counselor_a.language = "en"  # the alert card is written in the counselor's language; these words are English
    counselor_a.save(update_fields=["language"])
    client.force_login(client_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/clinical/measures/{phq9.pk}/", _post_answers([0] * 8 + [2]))
    stored = MeasureResponse.objects.get(client=client_a)
    escalation = Escalation.objects.get()
    assert escalation.kind == EscalationKind.PHQ9_ITEM9
    assert escalation.severity == Severity.HIGH
    assert escalation.client == client_a and escalation.counselor == counselor_a
    assert escalation.dedupe_key == f"phq9_item9:response:{stored.pk}"
    assert escalation.next_step_at is not None  # the ladder's timer runs
    alert = EscalationAlert.objects.get(escalation=escalation)
    assert (alert.recipient, alert.rung) == (counselor_a, Rung.COUNSELOR)
    assert alert.notified_at is not None  # delivered to the counselor's open pages (eager tasks)
    counselor_cards = [p for user_id, p in pushed if user_id == counselor_a.pk and p.get("type") == "escalation.alert"]
    assert counselor_cards and "PHQ-9 item 9" in counselor_cards[0]["title"]
    # The client is shown the emergency numbers and that a person was alerted, at once.
    page = client.get(response["Location"]).content.decode()
    assert 'id="measure-safety"' in page
    assert 'class="emergency-numbers"' in page and "tel:" in page


def test_the_alert_page_says_which_answer_and_links_the_clients_measures(
    phq9, client_a, counselor_a, client, staff_login
):
    measure_submit(client=client_a, schedule=phq9, answers=[0] * 8 + [3], language="en")
    escalation = Escalation.objects.get()
    staff_login(client, counselor_a)
    page = client.get(f"/staff/risk/{escalation.pk}/").content.decode()
    assert "PHQ-9 item 9 answered 3" in page
    assert f"/clinical/clients/{client_a.pk}/measures/" in page


def test_item_9_not_at_all_opens_nothing(phq9, client_a):
    measure_submit(client=client_a, schedule=phq9, answers=[3] * 8 + [0], language="en")
    assert MeasureResponse.objects.count() == 1
    assert not Escalation.objects.exists()


def test_the_answer_is_kept_when_opening_the_escalation_fails_and_the_task_opens_it_after(
    phq9, client_a, counselor_a, monkeypatch, django_capture_on_commit_callbacks
):
    real = crisis_services.escalation_open
    calls = []

    def fails_once(**kwargs):
        calls.append(kwargs["dedupe_key"])
        if len(calls) == 1:
            raise RuntimeError("database hiccup")
        return real(**kwargs)

    monkeypatch.setattr(crisis_services, "escalation_open", fails_once)
    with django_capture_on_commit_callbacks(execute=True):
        response, _result = measure_submit(client=client_a, schedule=phq9, answers=[0] * 8 + [1], language="en")
    assert MeasureResponse.objects.filter(pk=response.pk).exists()
    # The task queued on commit (ids only) checked the stored answer by id and opened it.
    escalation = Escalation.objects.get()
    assert escalation.kind == EscalationKind.PHQ9_ITEM9 and escalation.counselor == counselor_a
    assert len(calls) == 2


def test_the_answer_is_kept_even_when_every_attempt_fails(
    phq9, client_a, monkeypatch, django_capture_on_commit_callbacks
):
    def always_fails(**kwargs):
        raise RuntimeError("crisis is down")

    monkeypatch.setattr(crisis_services, "escalation_open", always_fails)
    with django_capture_on_commit_callbacks() as queued:
        response, _result = measure_submit(client=client_a, schedule=phq9, answers=[0] * 8 + [2], language="en")
    assert MeasureResponse.objects.filter(pk=response.pk).exists()
    assert not Escalation.objects.exists()
    assert queued  # the by-id check waits for the commit (the worker retries it; acks_late)


def test_the_by_id_check_opens_one_escalation_only(phq9, client_a):
    response, _result = measure_submit(client=client_a, schedule=phq9, answers=[0] * 8 + [1], language="en")
    assert crisis_services.measure_item9_check(response_id=response.pk) is None  # already open
    assert Escalation.objects.count() == 1


# --- Who may read -------------------------------------------------------------------------------------


@pytest.fixture
def answered(phq9, gad7, client_a):
    measure_submit(client=client_a, schedule=phq9, answers=[1, 1, 1, 1, 1, 1, 1, 0, 0], language="en")
    measure_submit(client=client_a, schedule=gad7, answers=[2, 2, 2, 2, 2, 2, 2], language="en")
    return client_a


def test_the_clients_own_counselor_sees_the_chart_with_its_points_and_the_read_is_audited(
    answered, counselor_a, client, staff_login
):
    staff_login(client, counselor_a)
    page = client.get(f"/clinical/clients/{answered.pk}/measures/").content.decode()
    assert 'data-instrument="phq9" data-points="1"' in page
    assert 'data-instrument="gad7" data-points="1"' in page
    assert 'class="band band-moderately_severe"' in page and 'class="band band-severe"' in page
    assert "<circle" in page and 'role="img"' in page
    assert "PHQ-9 scores over time: 1 responses" in page  # the accessible summary
    assert "style=" not in page.split("<svg", 1)[1].split("</svg>", 1)[0]  # CSP: classes, no inline style
    viewed = AuditEntry.objects.filter(action="measure.viewed", subject_id=answered.pk, actor_id=counselor_a.pk)
    assert viewed.exists()


@pytest.mark.parametrize("who", ["counselor_b", "client_a", "client_b", "admin_user"])
def test_nobody_but_the_clients_counselor_reads_the_measures(answered, who, request, client, staff_login):
    user = request.getfixturevalue(who)
    if who in ("counselor_b", "admin_user"):
        staff_login(client, user)
    else:
        client.force_login(user)
    response = client.get(f"/clinical/clients/{answered.pk}/measures/")
    assert response.status_code in (403, 404)
    assert b"data-points" not in response.content


def test_the_counselor_sets_a_schedule_and_a_missing_number_of_weeks_is_refused(pair, client, staff_login):
    client_a, counselor_a = pair
    staff_login(client, counselor_a)
    url = f"/clinical/clients/{client_a.pk}/measures/"
    refused = client.post(url, {"instrument": "gad7", "cadence": "every_weeks", "active": "on"})
    assert refused.status_code == 200 and "Say every how many weeks" in refused.content.decode()
    assert (
        client.post(
            url, {"instrument": "gad7", "cadence": "every_weeks", "every_weeks": "4", "active": "on"}
        ).status_code
        == 302
    )
    assert AuditEntry.objects.filter(action="measure.schedule_set", subject_id=str(client_a.pk)).exists()


def test_shredded_answers_show_as_unreadable_not_as_an_error(answered, counselor_a, client, staff_login):
    data_key_destroy(owner_id=answered.pk)
    staff_login(client, counselor_a)
    page = client.get(f"/clinical/clients/{answered.pk}/measures/").content.decode()
    assert "This record can no longer be read." in page
    assert 'data-points="0"' in page


def test_measures_due_for_lists_only_the_clients_own(phq9, client_b):
    assert measures_due_for(client=client_b) == []
