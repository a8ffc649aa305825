"""The emergency card: whoever holds an open escalation's current rung sees the client's phone, emergency
contact, exact place, local numbers and latest messages, in one page; nobody else does, and every opening is
audited. The client's optional landmark, given with the location, is stored sealed."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone

from counseling import clock
from counseling.audit import audit_chain_verify
from counseling.crypto import open_text
from counseling.models import AuditEntry
from crisis.models import Escalation, EscalationState, OnCallShift, Rung
from crisis.services import (
    escalation_acknowledge,
    escalation_advance,
    escalation_open,
    escalation_resolve,
    help_request,
)
from identity.services import intake_submit
from sessions.models import CounselingSession
from sessions.services import session_location_confirm
from tests.conftest import make_counselor
from tests.counseling.test_escalation_support import eager_celery, make_message, make_session, pushed  # noqa: F401
from tests.security.conftest import INTAKE_ANSWERS

pytestmark = pytest.mark.usefixtures("eager_celery", "pushed")

LANDMARK = "Jl. Malioboro 12, near the mosque"


def card_path(escalation) -> str:
    return f"/staff/risk/{escalation.pk}/card/"


def card_openings(escalation):
    return AuditEntry.objects.filter(action="escalation.emergency_card_opened", target_id=str(escalation.pk))


def climb(escalation):
    """Nobody acknowledged in time: the ladder climbs one rung. Returns when it climbed."""
    escalation.refresh_from_db()
    at = escalation.next_step_at + timedelta(seconds=1)
    assert escalation_advance(escalation_id=escalation.pk, at=at)
    escalation.refresh_from_db()
    return at


def on_shift(user, role: str) -> None:
    start = clock.now() - timedelta(hours=1)
    OnCallShift.objects.create(user=user, role=role, starts_at=start, ends_at=start + timedelta(days=1))


@pytest.fixture
def on_call(db):
    return make_counselor("oncall@staff.test", "On Call")


@pytest.fixture
def supervisor(db):
    return make_counselor("supervisor@staff.test", "Supervisor")


@pytest.fixture
def intake(client_a):
    return intake_submit(
        client=client_a, answers=INTAKE_ANSWERS, emergency_contact_authorised=True, code_word="kupu-kupu biru"
    )


@pytest.fixture
def session(client_a, counselor_a, intake):
    session = make_session(client_a, counselor_a, confirmed=False)
    session_location_confirm(session=session, client=client_a, country="ID", region="ID-YO", landmark=LANDMARK)
    session.refresh_from_db()
    return session


@pytest.fixture
def escalation(client_a, counselor_a, session):
    make_message(client_a, counselor_a, "I cannot sleep and I am scared tonight.", session=session)
    make_message(client_a, counselor_a, "Stay with me, I am here.", sender=counselor_a, session=session)
    escalation, _created = help_request(client=client_a, session=session)
    return escalation


@pytest.fixture
def open_as(client, staff_login):
    """GET a path as one person (staff with their second factor), from a fresh sign-in."""

    def get(user, path):
        client.logout()
        if user.role in ("counselor", "admin"):
            staff_login(client, user)
        else:
            client.force_login(user)
        return client.get(path)

    return get


# --- What the card shows ------------------------------------------------------------------------------


def test_the_counselor_holding_the_rung_sees_every_element(open_as, escalation, counselor_a):
    response = open_as(counselor_a, card_path(escalation))
    assert response.status_code == 200
    page = response.content.decode()
    # Call the client: their legal name and a phone link that dials what it shows.
    assert "Ayu Lestari Wibowo" in page
    assert '<a class="phone" href="tel:+6281255501234">+62 812 5550 1234</a>' in page
    # Call the emergency contact they authorised, with the relationship.
    assert "Budi Santoso" in page and "(brother)" in page
    assert '<a class="phone" href="tel:+6281355509876">+62 813 5550 9876</a>' in page
    # The plan for a dropped connection.
    assert "Reconnect for 10 minutes, then my counselor phones me." in page
    # Where: the place confirmed for this session by name, and the landmark.
    # Times in the reader's own zone (counselor A's profile: Asia/Jakarta).
    start = timezone.localtime(escalation.session.starts_at, ZoneInfo("Asia/Jakarta")).strftime("%-d %b %Y %H:%M")
    assert "(ID-YO), Indonesia" in page and f"by the client, for the session of {start}" in page
    assert LANDMARK in page
    # The local emergency numbers, each a link.
    assert 'href="tel:110"' in page and 'href="tel:119,8"' in page
    # The latest messages, newest first.
    assert page.index("Stay with me, I am here.") < page.index("I cannot sleep and I am scared tonight.")
    # And the order of what to do.
    assert (
        page.index("Call the client")
        < page.index("call their emergency contact")
        < page.index("call a local emergency number")
    )


def test_the_escalation_page_offers_the_card_to_whoever_may_open_it(open_as, escalation, counselor_a, admin_user):
    page = open_as(counselor_a, f"/staff/risk/{escalation.pk}/").content.decode()
    assert f'href="{card_path(escalation)}"' in page and "Open the emergency card" in page
    # An admin sees the escalation page (may handle it) but holds no rung here: no card, no link.
    page = open_as(admin_user, f"/staff/risk/{escalation.pk}/").content.decode()
    assert "Open the emergency card" not in page
    assert open_as(admin_user, card_path(escalation)).status_code == 404


def test_no_emergency_contact_is_shown_when_the_client_did_not_authorise_one(open_as, client_a, counselor_a, db):
    intake_submit(client=client_a, answers=INTAKE_ANSWERS, emergency_contact_authorised=False, code_word="kupu-kupu")
    session = make_session(client_a, counselor_a, country="ID", region="ID-YO")
    escalation, _ = help_request(client=client_a, session=session)
    page = open_as(counselor_a, card_path(escalation)).content.decode()
    assert "+62 812 5550 1234" in page  # the client's own phone still
    assert "Budi Santoso" not in page and "5550 9876" not in page
    assert "The client has not authorised us to call their emergency contact." in page


def test_the_card_shows_the_latest_twenty_messages_newest_first(open_as, escalation, client_a, counselor_a, session):
    for number in range(1, 26):
        make_message(client_a, counselor_a, f"numbered message {number:02d}.", session=session)
    page = open_as(counselor_a, card_path(escalation)).content.decode()
    shown = [number for number in range(1, 26) if f"numbered message {number:02d}." in page]
    assert shown == list(range(6, 26))
    assert page.index("numbered message 25.") < page.index("numbered message 06.")


def test_the_card_of_a_risk_phrase_marks_the_message_that_opened_it(open_as, client_a, counselor_a, session):
    message = make_message(client_a, counselor_a, "I want to end it all.", session=session)
    escalation, _ = escalation_open(
        client=client_a,
        kind="risk_phrase",
        severity=3,
        dedupe_key=f"risk_phrase:message:{message.pk}",
        counselor=counselor_a,
        session=session,
        message=message,
    )
    page = open_as(counselor_a, card_path(escalation)).content.decode()
    assert "I want to end it all." in page and "this message opened the alert" in page


# --- Who holds the current rung -----------------------------------------------------------------------


def test_after_the_ladder_climbs_the_on_call_counselor_sees_the_card(open_as, escalation, on_call):
    on_shift(on_call, "on_call")
    # Rostered, so they may see the escalation page; but the client's counselor holds the rung for now.
    assert open_as(on_call, f"/staff/risk/{escalation.pk}/").status_code == 200
    assert open_as(on_call, card_path(escalation)).status_code == 404
    climb(escalation)
    assert escalation.rung == Rung.ON_CALL
    response = open_as(on_call, card_path(escalation))
    assert response.status_code == 200 and "+62 812 5550 1234" in response.content.decode()
    assert "Open the emergency card" in open_as(on_call, f"/staff/risk/{escalation.pk}/").content.decode()


def test_the_clients_own_counselor_keeps_the_card_once_cover_holds_the_rung(
    open_as, escalation, counselor_a, on_call, supervisor
):
    on_shift(on_call, "on_call")
    on_shift(supervisor, "supervisor")
    climb(escalation)
    climb(escalation)
    assert escalation.rung == Rung.SUPERVISOR
    assert open_as(counselor_a, card_path(escalation)).status_code == 200


def test_the_on_call_counselor_gives_the_card_up_when_the_supervisor_is_alerted(
    open_as, escalation, on_call, supervisor
):
    on_shift(on_call, "on_call")
    on_shift(supervisor, "supervisor")
    assert open_as(supervisor, card_path(escalation)).status_code == 404
    climb(escalation)
    assert open_as(on_call, card_path(escalation)).status_code == 200
    climb(escalation)
    assert open_as(on_call, card_path(escalation)).status_code == 404
    assert open_as(supervisor, card_path(escalation)).status_code == 200


def test_whoever_acknowledges_the_escalation_holds_the_card_until_it_is_resolved(
    open_as, escalation, on_call, supervisor
):
    on_shift(on_call, "on_call")
    on_shift(supervisor, "supervisor")
    climb(escalation)
    climb(escalation)
    assert open_as(on_call, card_path(escalation)).status_code == 404
    # The on-call counselor, alerted a rung before, takes it after all: they are the one who acts now.
    assert escalation_acknowledge(escalation=escalation, user=on_call, note="Phoning her now.")
    assert open_as(on_call, card_path(escalation)).status_code == 200
    assert open_as(supervisor, card_path(escalation)).status_code == 200  # still on the current rung


def test_an_admin_stands_in_only_for_an_empty_rung(open_as, escalation, admin_user):
    assert open_as(admin_user, card_path(escalation)).status_code == 404  # the counselor's rung has a person
    climb(escalation)  # nobody on call: the admins are alerted instead
    assert escalation.alerts.filter(recipient=admin_user, rung=Rung.ADMIN).exists()
    assert open_as(admin_user, card_path(escalation)).status_code == 200


def test_an_admin_who_stood_in_gives_the_card_up_when_a_rostered_rung_takes_over(
    open_as, escalation, admin_user, supervisor
):
    on_shift(supervisor, "supervisor")
    climb(escalation)  # on-call rung empty: admins stand in
    assert open_as(admin_user, card_path(escalation)).status_code == 200
    climb(escalation)  # the supervisor is rostered
    assert open_as(admin_user, card_path(escalation)).status_code == 404
    assert open_as(supervisor, card_path(escalation)).status_code == 200


def test_admins_hold_the_first_rung_when_the_clients_counselor_cannot_be_alerted(
    open_as, client_a, counselor_a, session, admin_user
):
    counselor_a.is_active = False
    counselor_a.save(update_fields=["is_active"])
    escalation, _ = help_request(client=client_a, session=session)
    assert open_as(admin_user, card_path(escalation)).status_code == 200


def test_admins_alerted_again_for_a_rung_that_emptied_stand_in(
    open_as, escalation, client_a, session, on_call, admin_user
):
    on_shift(on_call, "on_call")
    climbed_at = climb(escalation)
    assert open_as(admin_user, card_path(escalation)).status_code == 404  # the on-call counselor holds it
    # The shift ends; the client presses help again: the rung is empty now, so the admins are alerted for it.
    past = climbed_at - timedelta(hours=3)
    OnCallShift.objects.filter(user=on_call).update(starts_at=past, ends_at=past + timedelta(hours=1))
    help_request(client=client_a, session=session, at=climbed_at + timedelta(minutes=1))
    assert escalation.alerts.filter(recipient=admin_user, rung=Rung.ADMIN, press=1).exists()
    assert open_as(admin_user, card_path(escalation)).status_code == 200
    assert open_as(on_call, card_path(escalation)).status_code == 200  # alerted for this rung, still holds it


@pytest.mark.parametrize("outsider", ["counselor_b", "admin_user"])
def test_staff_outside_the_rung_get_404(request, open_as, escalation, outsider):
    assert open_as(request.getfixturevalue(outsider), card_path(escalation)).status_code == 404
    assert not card_openings(escalation).exists()


def test_clients_are_refused_whatever_the_escalation(open_as, escalation, client_a, client_b):
    # Staff pages refuse other roles before any look-up (counseling.permissions): the same answer for an
    # escalation that exists, their own included, and for one that does not. Nothing is read or shown.
    for person in (client_a, client_b):
        for path in (card_path(escalation), "/staff/risk/999999/card/"):
            response = open_as(person, path)
            assert response.status_code == 403
            assert "Ayu Lestari Wibowo" not in response.content.decode()
    assert not card_openings(escalation).exists()


def test_anonymous_visitors_are_sent_to_login(client, escalation):
    response = client.get(card_path(escalation))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_resolving_the_escalation_closes_the_card_for_everyone(open_as, escalation, counselor_a, on_call):
    on_shift(on_call, "on_call")
    climb(escalation)
    assert escalation_resolve(escalation=escalation, user=on_call, note="Safe with her sister.")
    escalation.refresh_from_db()
    assert escalation.state == EscalationState.RESOLVED
    for person in (counselor_a, on_call):
        assert open_as(person, card_path(escalation)).status_code == 404
    assert "Open the emergency card" not in open_as(counselor_a, f"/staff/risk/{escalation.pk}/").content.decode()


def test_a_drill_has_no_card(open_as, counselor_a, db):
    # A drill tests the ladder and concerns no client (Escalation.client is None): there is no card to show.
    escalation = Escalation.objects.create(
        client=None, counselor=counselor_a, kind="drill", severity=1, dedupe_key="drill:test"
    )
    assert open_as(counselor_a, card_path(escalation)).status_code == 404


# --- Audit ----------------------------------------------------------------------------------------------


def test_every_opening_is_audited_as_an_emergency_access(open_as, escalation, counselor_a, client_a):
    for _ in range(2):
        assert open_as(counselor_a, card_path(escalation)).status_code == 200
    entries = list(card_openings(escalation).order_by("sequence"))
    assert len(entries) == 2
    for entry in entries:
        assert (entry.actor_id, entry.subject_id, entry.target_type) == (
            counselor_a.pk,
            client_a.pk,
            "crisis.escalation",
        )
        assert entry.detail == {"rung": "counselor", "basis": "counselor", "state": "open"}
    assert audit_chain_verify().ok


def test_the_audit_entry_names_the_rung_and_why_the_reader_holds_it(open_as, escalation, admin_user):
    climb(escalation)
    open_as(admin_user, card_path(escalation))
    entry = card_openings(escalation).get()
    assert entry.actor_id == admin_user.pk
    assert entry.detail == {"rung": "on_call", "basis": "admin", "state": "open"}


# --- The landmark, given with the location --------------------------------------------------------------


def test_the_landmark_is_stored_sealed_and_shown_on_the_card(open_as, escalation, session, counselor_a, client_a):
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT location_landmark_sealed FROM {CounselingSession._meta.db_table} WHERE id = %s",
            [session.pk],
        )
        raw = bytes(cursor.fetchone()[0])
    assert raw and LANDMARK.encode() not in raw and b"Malioboro" not in raw
    assert open_text(owner_id=client_a.pk, sealed=raw, context=f"session-landmark:{session.pk}") == LANDMARK
    assert LANDMARK in open_as(counselor_a, card_path(escalation)).content.decode()


def test_the_client_gives_a_landmark_on_the_location_page(client, client_a, counselor_a, intake):
    session = make_session(client_a, counselor_a, confirmed=False)
    client.force_login(client_a)
    page = client.get(f"/sessions/{session.pk}/location/").content.decode()
    assert 'name="landmark"' in page and "You may leave it empty." in page
    response = client.post(
        f"/sessions/{session.pk}/location/", {"country": "ID", "region": "ID-YO", "landmark": f"  {LANDMARK}  "}
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.location_confirmed_at is not None
    sealed = bytes(session.location_landmark_sealed)
    assert open_text(owner_id=client_a.pk, sealed=sealed, context=session.landmark_aad) == LANDMARK
    confirmed = AuditEntry.objects.filter(action="session.location_confirmed", target_id=str(session.pk)).get()
    assert confirmed.detail["landmark_given"] is True and "Malioboro" not in str(confirmed.detail)
    # Their own landmark comes back in their own form.
    assert f'value="{LANDMARK}"' in client.get(f"/sessions/{session.pk}/location/").content.decode()


def test_the_location_form_without_a_landmark_still_works(client, client_a, counselor_a, intake):
    session = make_session(client_a, counselor_a, confirmed=False)
    client.force_login(client_a)
    response = client.post(f"/sessions/{session.pk}/location/", {"country": "ID", "region": "ID-JK"})
    assert response.status_code == 302
    session.refresh_from_db()
    assert (session.location_country, session.location_region) == ("ID", "ID-JK")
    assert session.location_confirmed_at is not None and session.location_landmark_sealed is None


def test_confirming_again_with_an_empty_landmark_removes_it(
    open_as, client, escalation, session, client_a, counselor_a
):
    client.force_login(client_a)
    response = client.post(f"/sessions/{session.pk}/location/", {"country": "ID", "region": "ID-YO", "landmark": ""})
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.location_landmark_sealed is None
    page = open_as(counselor_a, card_path(escalation)).content.decode()
    assert LANDMARK not in page and "not given" in page


def test_a_too_long_landmark_is_refused_with_a_message(client, client_a, counselor_a, intake):
    session = make_session(client_a, counselor_a, confirmed=False)
    client.force_login(client_a)
    response = client.post(f"/sessions/{session.pk}/location/", {"country": "ID", "region": "", "landmark": "x" * 201})
    assert response.status_code == 200 and 'role="alert"' in response.content.decode()
    session.refresh_from_db()
    assert session.location_confirmed_at is None


def test_between_sessions_the_card_shows_the_last_confirmed_place_and_its_landmark(
    open_as, client_a, counselor_a, session
):
    escalation, _ = help_request(client=client_a)  # pressed on the dashboard: no session named
    assert escalation.session_id is None
    page = open_as(counselor_a, card_path(escalation)).content.decode()
    assert "(ID-YO), Indonesia" in page and "by the client, for the session of" in page and LANDMARK in page
