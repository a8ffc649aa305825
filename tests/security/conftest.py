"""Objects of client A and counselor A for the security tests, built with the apps' own services.

Every other persona is an outsider to them: client B, counselor B (no session with A), an admin
without a verified second factor. Personas sign in the way the rest of the suite does: clients
with force_login, verified staff with the `staff_login` fixture, the unverified admin with
force_login only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import time, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from counseling.clock import now
from counseling.models import Notice, User
from tests.conftest import PASSWORD

ORIGIN = b"http://127.0.0.1:8000"
MARKERS = ("Ayu Lestari Wibowo", "Budi Santoso", "a@clients.test", "rahasia-klien-A")  # client A's data

INTAKE_ANSWERS = {
    "legal_name": "Ayu Lestari Wibowo",
    "date_of_birth": "1994-03-17",
    "phone": "+62 812 5550 1234",
    "country": "ID",
    "region": "ID-YO",
    "emergency_contact_name": "Budi Santoso",
    "emergency_contact_relation": "brother",
    "emergency_contact_phone": "+62 813 5550 9876",
    "other_providers": "",
    "connection_drop_plan": "Reconnect for 10 minutes, then my counselor phones me.",
    "suitable_text": True,
    "suitable_private": True,
    "suitable_language": True,
}


@dataclass
class World:
    users: dict
    kwargs: dict = field(default_factory=dict)  # URL parameter name -> value (per route name when ambiguous)
    objects: dict = field(default_factory=dict)


def _png() -> bytes:
    from tests.counseling.test_identity_documents_sniffing import png_bytes

    return png_bytes(body=400)


def build_chat_world(users) -> World:
    """An open session of client A with counselor A (location confirmed) and their conversation."""
    from sessions.chat.services import message_post
    from sessions.models import Conversation, CounselingSession

    client_a, counselor_a = users["client_a"], users["counselor_a"]
    start = now() - timedelta(minutes=5)
    session = CounselingSession.objects.create(
        client=client_a,
        counselor=counselor_a,
        starts_at=start,
        ends_at=start + timedelta(minutes=50),
        state="open",
        location_country="ID",
        location_region="ID-YO",
        location_confirmed_at=now(),
    )
    conversation, _ = Conversation.objects.get_or_create(client=client_a, counselor=counselor_a)
    message_post(
        conversation=conversation,
        sender=client_a,
        client_msg_id=uuid.uuid4(),
        body="rahasia-klien-A: I could not sleep again.",
    )
    return World(users=users, objects={"session": session, "conversation": conversation})


def build_world(users) -> World:
    """Everything of client A that a route can name, plus counselor A's own rows."""
    from clinical.notes import note_save_draft, note_sign, supervision_assign
    from clinical.record_access import record_request_create
    from consent.models import ELEMENT_KEYS
    from consent.rendering import consent_render
    from consent.selectors import consent_version_in_force
    from consent.services import consent_accept, consent_defaults_publish
    from crisis.services import drill_start, help_request
    from identity.services import identity_document_upload, intake_submit
    from incidents.services import incident_open
    from licensing.models import IssuingBody, Jurisdiction, LapseNotice
    from licensing.services import licence_submit
    from records.services import erasure_request_create
    from sessions.models import CounselingSession, SessionDrop, SessionRequest, SessionSeries
    from sessions.services import availability_weekly_add, calendar_feed_reset
    from tests.conftest import make_counselor

    client_a, counselor_a = users["client_a"], users["counselor_a"]
    consent_defaults_publish()
    version = consent_version_in_force(language="en")
    rendered = consent_render(version=version, counselor=None)
    acceptance = consent_accept(
        client=client_a, version=version, counselor=None, shown_sha256=rendered.sha256, acknowledged=list(ELEMENT_KEYS)
    )
    world = build_chat_world(users)
    session = world.objects["session"]
    intake_submit(
        client=client_a, answers=INTAKE_ANSWERS, emergency_contact_authorised=True, code_word="kupu-kupu biru"
    )
    document = identity_document_upload(client=client_a, name="ktp.png", data=_png())
    escalation, _ = help_request(client=client_a, session=session)
    # A drill alerts counselor A on its first rung (no roster: nobody else yet); it has no client.
    drill, _ = drill_start(counselor=counselor_a, started_by=users["admin"])
    erasure = erasure_request_create(client=client_a)
    place, _ = Jurisdiction.objects.get_or_create(country="ID", region="", defaults={"name": "Indonesia"})
    body, _ = IssuingBody.objects.get_or_create(
        name="Himpunan Psikologi Indonesia (HIMPSI)",
        defaults={"registry_url": "https://himpsi.or.id/", "jurisdiction": place},
    )
    today = now().date()
    licence = licence_submit(
        counselor=counselor_a,
        submitted_by=counselor_a,
        issuing_body=body,
        kind="str",
        number="STR-1234",
        jurisdiction=place,
        scope="Psychological services",
        valid_from=today - timedelta(days=365),
        expires_on=today + timedelta(days=365),
        evidence=_png(),
        evidence_filename="str.png",
    )
    notice = LapseNotice.objects.create(client=client_a, counselor=counselor_a, licence=licence)
    user_notice = Notice.objects.create(user=client_a, kind="session.booked", title="Session booked", url="/client/")
    weekly = availability_weekly_add(counselor=counselor_a, weekday=0, start_time=time(9), end_time=time(12))
    # The client's connection dropped during the session (sessions.chat.drops.session_drop_open records it so).
    drop = SessionDrop.objects.create(session=session, away_since=now() - timedelta(minutes=6))
    incident = incident_open(opened_by=users["admin"], detected_at=now() - timedelta(hours=1), summary="A leak.")
    # A weekly series of client A with counselor A (its session is the open one), and client A's calendar feed.
    series = SessionSeries.objects.create(client=client_a, counselor=counselor_a, booked_by=client_a, weeks_asked=2)
    session.series = series
    session.save(update_fields=["series"])
    feed_token = calendar_feed_reset(user=client_a)
    measure_schedule, measure_response = _measure_world(client_a, counselor_a)
    # A held session of client A with counselor A, its signed note, and client A's request for her record;
    # counselor A supervises a trainee (the supervisee's caseload page).
    held_end = now() - timedelta(days=2)
    held = CounselingSession.objects.create(
        client=client_a,
        counselor=counselor_a,
        starts_at=held_end - timedelta(minutes=50),
        ends_at=held_end,
        state="completed",
        location_country="ID",
        location_region="ID-YO",
        location_confirmed_at=held_end,
    )
    note_save_draft(
        counselor=counselor_a, session=held, structure="free", sections={"text": "rahasia-klien-A: the note"}
    )
    note_sign(counselor=counselor_a, session=held)
    record_request = record_request_create(client=client_a, counselor_id=counselor_a.pk)
    trainee = make_counselor("trainee@staff.test", "Trainee T")
    supervision_assign(supervisee=trainee, supervisor=counselor_a, in_training=True, assigned_by=users["admin"])
    trainee_session = CounselingSession.objects.create(
        client=client_a,
        counselor=trainee,
        starts_at=held_end - timedelta(days=1, minutes=50),
        ends_at=held_end - timedelta(days=1),
        state="completed",
        location_country="ID",
        location_region="ID-YO",
        location_confirmed_at=held_end,
    )
    note_save_draft(counselor=trainee, session=trainee_session, structure="free", sections={"text": "rahasia-klien-A"})
    trainee_note = note_sign(counselor=trainee, session=trainee_session)
    # The session began as client A's first request to counselor A, which counselor A accepted.
    SessionRequest.objects.create(
        session=session, expires_at=session.starts_at, outcome="accepted", answered_at=now(), answered_by=counselor_a
    )
    world.objects.update(
        {
            "version": version,
            "acceptance": acceptance,
            "document": document,
            "escalation": escalation,
            "drill": drill,
            "erasure": erasure,
            "licence": licence,
            "notice": notice,
            "weekly": weekly,
            "drop": drop,
            "incident": incident,
            "series": series,
            "held_session": held,
            "record_request": record_request,
        }
    )
    world.kwargs = {
        "session_id": session.pk,
        "conversation_id": world.objects["conversation"].pk,
        "acceptance_id": acceptance.pk,
        "version_id": version.pk,
        "identity_document_id": document.pk,
        "escalation_id": escalation.pk,
        "drill_id": drill.pk,
        "erasure_id": erasure.pk,
        "licence_id": licence.pk,
        "notice_id": notice.pk,
        "user_notice_id": user_notice.pk,
        "row_id": weekly.pk,
        "drop_id": drop.pk,
        "incident_id": incident.pk,
        "series_id": series.pk,
        "schedule_id": measure_schedule.pk,
        "response_id": measure_response.pk,
        "supervisee_id": trainee.pk,
        "request_id": record_request.pk,
        "note_id": trainee_note.pk,
        "feed_token": feed_token,
        "law": "uu_pdp",
        "kind": "weekly",
        "client_id": client_a.pk,
        "counselor_id": counselor_a.pk,
        "user_id": counselor_a.pk,
        "uidb64": "MQ",
        "token": "set-password",
    }
    return world


def _measure_world(client_a, counselor_a):
    """Client A's PHQ-9, asked by counselor A, answered once (item 9 "not at all": no escalation)."""
    from clinical.services_measures import measure_schedule_set, measure_submit

    schedule = measure_schedule_set(counselor=counselor_a, client=client_a, instrument="phq9", cadence="before_session")
    response, _score = measure_submit(client=client_a, schedule=schedule, answers=[1] * 8 + [0], language="en")
    return schedule, response


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Argon2 costs most of a second per hash on this machine; these tests sign in with force_login."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin_no_mfa(db):
    """An admin who signed in with a password only: no authenticator, no second factor in this session."""
    return User.objects.create_superuser(email="admin.no-mfa@staff.test", password=PASSWORD)


@pytest.fixture
def cast(client_a, client_b, counselor_a, counselor_b, admin_user, admin_no_mfa):
    return {
        "client_a": client_a,
        "client_b": client_b,
        "counselor_a": counselor_a,
        "counselor_b": counselor_b,
        "admin": admin_user,
        "admin_no_mfa": admin_no_mfa,
    }


@pytest.fixture
def world(cast, django_capture_on_commit_callbacks):
    return build_world(cast)


@pytest.fixture
def browser_as(cast, staff_login):
    """A fresh Django test client signed in as `persona` (None user for anonymous)."""

    def make(persona: str) -> Client:
        browser = Client()
        if persona == "anonymous":
            return browser
        if persona == "counselor_a_no_mfa":
            browser.force_login(cast["counselor_a"])
        elif persona in ("counselor_a", "counselor_b", "admin"):
            staff_login(browser, cast[persona])
        else:  # clients, and the admin without a second factor: a password sign-in only
            browser.force_login(cast[persona])
        return browser

    return make


def persona_user(cast, persona: str):
    if persona == "anonymous":
        return AnonymousUser()
    return cast["counselor_a" if persona == "counselor_a_no_mfa" else persona]
