"""Pages of escalation: the help button, the numbers page, the risk queue and its detail; outsiders get nothing."""

from datetime import timedelta

import pytest
from django.utils import translation
from django.utils.html import escape

from counseling import clock
from counseling.models import AuditEntry
from crisis.models import Escalation, EscalationState, OnCallShift
from crisis.selectors import on_call_now, roster_gaps
from crisis.services import escalation_open, help_request
from tests.conftest import make_counselor
from tests.counseling.test_escalation_support import eager_celery, make_session, pushed  # noqa: F401

pytestmark = pytest.mark.usefixtures("eager_celery", "pushed")


@pytest.fixture
def escalation(client_a, counselor_a):
    make_session(client_a, counselor_a, country="ID", region="ID-JK")
    escalation, _ = help_request(client=client_a)
    return escalation


# --- the client ---------------------------------------------------------------------------------


def test_the_help_button_is_on_every_client_page(client, client_a):
    client.force_login(client_a)
    page = client.get("/client/").content.decode()
    assert 'action="/help/"' in page


def test_pressing_help_opens_an_escalation_and_shows_the_numbers(client, client_a, counselor_a):
    make_session(client_a, counselor_a, country="ID")
    client.force_login(client_a)
    response = client.post("/help/", follow=True)
    assert response.redirect_chain[-1][0] == "/help/sent/"
    page = response.content.decode()
    assert Escalation.objects.filter(client=client_a, kind="help_button").count() == 1
    assert 'href="tel:110"' in page and 'href="tel:119,8"' in page and "119, then press 8" in page
    assert 'role="status"' in page


def test_the_numbers_page_speaks_the_clients_language(client, client_a, counselor_a):
    make_session(client_a, counselor_a, country="ID")
    client.force_login(client_a)
    client.cookies["django_language"] = "id"
    page = client.post("/help/", follow=True).content.decode()
    assert "Permintaan bantuan Anda sudah sampai kepada seseorang" in page
    assert "Bantuan sedang dalam perjalanan" not in page
    assert "tidak mendatangkan ambulans atau polisi" in page


def test_help_cannot_be_opened_with_get(client, client_a):
    client.force_login(client_a)
    assert client.get("/help/").status_code == 405
    assert not Escalation.objects.exists()


@pytest.mark.parametrize("path", ["/help/", "/help/sent/"])
def test_anonymous_visitors_are_sent_to_login(client, db, path):
    response = client.post(path) if path == "/help/" else client.get(path)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Escalation.objects.exists()


@pytest.mark.parametrize("path", ["/help/", "/help/sent/"])
def test_staff_cannot_use_the_client_help_pages(client, counselor_a, staff_login, path):
    staff_login(client, counselor_a)
    response = client.post(path) if path == "/help/" else client.get(path)
    assert response.status_code == 403
    assert not Escalation.objects.exists()


def test_the_numbers_page_shows_only_the_clients_own_escalation(client, client_b, escalation):
    client.force_login(client_b)
    page = client.get("/help/sent/").content.decode()
    assert "A person has been alerted" not in page


# --- staff --------------------------------------------------------------------------------------


def test_the_risk_queue_orders_by_severity_then_age(client, client_a, client_b, counselor_a, staff_login):
    t0 = clock.now()
    medium_old = escalation_open(
        client=client_a,
        kind="reply_overdue",
        severity=2,
        dedupe_key="t:1",
        counselor=counselor_a,
        at=t0 - timedelta(hours=2),
    )[0]
    high_new = escalation_open(
        client=client_b, kind="help_button", severity=3, dedupe_key="t:2", counselor=counselor_a, at=t0
    )[0]
    high_old = escalation_open(
        client=client_a,
        kind="risk_phrase",
        severity=3,
        dedupe_key="t:3",
        counselor=counselor_a,
        at=t0 - timedelta(hours=1),
    )[0]
    staff_login(client, counselor_a)
    page = client.get("/staff/risk/").content.decode()
    positions = [page.index(f"/staff/risk/{e.pk}/") for e in (high_old, high_new, medium_old)]
    assert positions == sorted(positions)


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_risk_queue_labels_each_row_as_the_models_display_does_in_the_staff_language(
    client, client_a, client_b, counselor_a, staff_login, language
):
    """The queue translates each choice's label once per page (crisis.selectors.risk_queue_rows): the text of
    every row is still exactly get_FOO_display()'s, in English and in Bahasa Indonesia."""
    escalations = [
        escalation_open(client=client_a, kind="risk_phrase", severity=3, dedupe_key="t:1", counselor=counselor_a)[0],
        escalation_open(client=client_b, kind="reply_overdue", severity=2, dedupe_key="t:2", counselor=counselor_a)[0],
    ]
    Escalation.objects.filter(pk=escalations[1].pk).update(state=EscalationState.ACKNOWLEDGED, rung="on_call")
    counselor_a.language = language
    counselor_a.save(update_fields=["language"])
    staff_login(client, counselor_a)
    page = client.get("/staff/risk/").content.decode()
    with translation.override(language):
        for escalation in Escalation.objects.filter(pk__in=[e.pk for e in escalations]):
            (row,) = [row for row in page.split("<tr>") if f"/staff/risk/{escalation.pk}/" in row]
            for label in (
                escalation.get_severity_display(),
                escalation.get_kind_display(),
                escalation.get_state_display(),
                escalation.get_rung_display(),
            ):
                assert f">{escape(label)}<" in row, (label, row)
    if language == "id":
        assert ">Tinggi<" in page and ">Frasa berisiko dalam pesan<" in page and ">Konselor jaga<" in page
    else:
        assert ">High<" in page and ">Risk phrase in a message<" in page and ">On-call counselor<" in page


def test_a_counselor_sees_only_their_own_and_alerted_escalations(client, escalation, counselor_b, staff_login):
    staff_login(client, counselor_b)
    assert f"/staff/risk/{escalation.pk}/" not in client.get("/staff/risk/").content.decode()
    assert client.get(f"/staff/risk/{escalation.pk}/").status_code == 404


def test_an_on_call_counselor_sees_every_live_escalation(client, escalation, counselor_b, staff_login):
    now = clock.now()
    OnCallShift.objects.create(
        user=counselor_b, role="on_call", starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1)
    )
    staff_login(client, counselor_b)
    assert f"/staff/risk/{escalation.pk}/" in client.get("/staff/risk/").content.decode()


def test_the_detail_shows_location_numbers_and_timeline_and_is_audited(client, escalation, counselor_a, staff_login):
    staff_login(client, counselor_a)
    page = client.get(f"/staff/risk/{escalation.pk}/").content.decode()
    assert "DKI Jakarta (ID-JK), Indonesia" in page and "112" in page and "Opened" in page
    assert AuditEntry.objects.filter(action="escalation.viewed", target_id=str(escalation.pk)).exists()


def test_acknowledging_from_the_page_needs_a_note(client, escalation, counselor_a, staff_login):
    staff_login(client, counselor_a)
    client.post(f"/staff/risk/{escalation.pk}/acknowledge/", {"note": ""})
    escalation.refresh_from_db()
    assert escalation.state == EscalationState.OPEN
    client.post(f"/staff/risk/{escalation.pk}/acknowledge/", {"note": "Phoned the client; safe."})
    escalation.refresh_from_db()
    assert escalation.state == EscalationState.ACKNOWLEDGED
    page = client.get(f"/staff/risk/{escalation.pk}/").content.decode()
    assert "Phoned the client; safe." in page
    client.post(f"/staff/risk/{escalation.pk}/resolve/", {"note": "Plan agreed for tonight."})
    escalation.refresh_from_db()
    assert escalation.state == EscalationState.RESOLVED


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
def test_an_uninvolved_counselor_cannot_act(client, escalation, counselor_b, staff_login, action):
    staff_login(client, counselor_b)
    response = client.post(f"/staff/risk/{escalation.pk}/{action}/", {"note": "not mine"})
    assert response.status_code == 404
    escalation.refresh_from_db()
    assert escalation.state == EscalationState.OPEN


@pytest.mark.parametrize("suffix", ["", "acknowledge/", "resolve/"])
def test_clients_get_403_and_anonymous_visitors_login_on_staff_pages(client, escalation, client_a, client_b, suffix):
    path = f"/staff/risk/{escalation.pk}/{suffix}"
    send = client.post if suffix else client.get
    anonymous = send(path, {"note": "x"})
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    for person in (client_a, client_b):
        client.force_login(person)
        assert send(path, {"note": "x"}).status_code == 403
    assert client.get("/staff/risk/").status_code == 403
    escalation.refresh_from_db()
    assert escalation.state == EscalationState.OPEN


def test_admins_see_the_roster_gap_on_the_staff_dashboard(client, admin_user, staff_login):
    staff_login(client, admin_user)
    page = client.get("/staff/").content.decode()
    assert "Nobody is on the on-call roster right now." in page and "No supervisor" in page
    now = clock.now()
    for role in ("on_call", "supervisor"):
        person = make_counselor(f"{role}@staff.test", role)
        OnCallShift.objects.create(
            user=person, role=role, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1)
        )
    assert "Nobody is on the on-call roster" not in client.get("/staff/").content.decode()


def test_the_roster_gaps_are_the_roles_nobody_active_covers_now(db):
    """roster_gaps asks for both roles in one query: a role is a gap exactly when on_call_now finds nobody."""
    now = clock.now()

    def gaps_agree():
        expected = [role for role in ("on_call", "supervisor") if not on_call_now(role=role, at=now)]
        assert roster_gaps(at=now) == expected
        return expected

    assert gaps_agree() == ["on_call", "supervisor"]
    ended = make_counselor("ended@staff.test", "Ended")
    OnCallShift.objects.create(user=ended, role="on_call", starts_at=now - timedelta(hours=3), ends_at=now)
    later = make_counselor("later@staff.test", "Later")
    OnCallShift.objects.create(
        user=later, role="on_call", starts_at=now + timedelta(minutes=1), ends_at=now + timedelta(hours=2)
    )
    gone = make_counselor("gone@staff.test", "Gone")
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    OnCallShift.objects.create(
        user=gone, role="supervisor", starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1)
    )
    assert gaps_agree() == ["on_call", "supervisor"]
    OnCallShift.objects.create(user=later, role="supervisor", starts_at=now, ends_at=now + timedelta(hours=1))
    assert gaps_agree() == ["on_call"]
    OnCallShift.objects.create(
        user=ended, role="on_call", starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=1)
    )
    assert gaps_agree() == []
    assert roster_gaps(at=now + timedelta(hours=1)) == ["supervisor"]  # the supervisor's shift ends then
