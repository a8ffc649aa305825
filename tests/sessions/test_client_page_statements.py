"""The reads of the client's home and the chat page, composed once per process (counseling.statements.composed_for):
each gives what its ORM queryset gives, for two clients (or conversations) whose rows differ, past and future."""

import uuid
from datetime import timedelta

import pytest
from django.http import Http404

from clinical.instruments import GAD7, PHQ9
from clinical.models import Cadence, MeasureSchedule, TreatmentPlan
from clinical.selectors_measures import _active_schedules, measures_due_for
from clinical.selectors_plans import has_shared_plan, shared_plans_for
from clinical.services_plans import treatment_plan_get_or_create
from counseling.clock import now
from counseling.models import ClientProfile
from counseling.statements import composed_for
from identity.models import CodeWord, IdentityDocument, IdentityDocumentStatus
from identity.selectors import _intake_with_gate_facts, intake_for_gate
from sessions.chat.selectors import _conversation_covers, _conversation_with_profiles, access_chat
from sessions.models import Conversation, ConversationCover, CounselingSession, CoverReason, CoverRole
from sessions.selectors import (
    _client_referrals,
    _client_sessions,
    _latest_confirmed_place,
    client_location,
    client_sessions,
)
from sessions.services import referral_create
from tests.composed import assert_same_instances
from tests.conftest import make_client, make_counselor
from tests.counseling.test_intake import complete_intake

pytestmark = pytest.mark.django_db


def _client_profile_of(counselor) -> None:
    """A counselor with a client profile too (User.display_name looks for it first); the other has none."""
    ClientProfile.objects.create(user=counselor, display_name="Counselor A, as a client")


def _session(client, counselor, *, hours, state="scheduled", confirmed_hours=None, country="ID", region=""):
    start = now() + timedelta(hours=hours)
    return CounselingSession.objects.create(
        client=client,
        counselor=counselor,
        starts_at=start,
        ends_at=start + timedelta(minutes=50),
        state=state,
        location_country=country if confirmed_hours is not None else "",
        location_region=region,
        location_confirmed_at=None if confirmed_hours is None else now() + timedelta(hours=confirmed_hours),
    )


@pytest.fixture
def sessions(client_a, client_b, counselor_a, counselor_b):
    """Sessions of two clients, past and to come, with places confirmed at different times (one with no country)."""
    _client_profile_of(counselor_a)
    _session(client_a, counselor_a, hours=-200, state="completed", confirmed_hours=-201, region="ID-JK")
    _session(client_a, counselor_b, hours=-100, state="cancelled", confirmed_hours=-101, region="ID-YO")
    _session(client_a, counselor_a, hours=48, confirmed_hours=-2, country="")
    _session(client_a, counselor_a, hours=72)
    _session(client_b, counselor_b, hours=-50, state="completed", confirmed_hours=-51, country="MY", region="MY-10")
    _session(client_b, counselor_a, hours=24, confirmed_hours=-300, region="ID-BA")
    _session(client_b, counselor_b, hours=-1, state="in_progress")


def test_a_clients_sessions_are_the_orms(sessions, client_a, client_b):
    loner = make_client("no.sessions@clients.test", "No Sessions")
    for client in (client_a, client_b, loner):
        for at in (now(), now() - timedelta(days=30), now() + timedelta(days=30)):
            upcoming, past = client_sessions(client=client, at=at)
            orm = list(_client_sessions(client=client.pk))
            assert_same_instances([*upcoming, *past], orm)
            assert len(orm) == {client_a: 4, client_b: 3}.get(client, 0)
            assert all(s.client_id == client.pk for s in [*upcoming, *past])
            assert all(s.ends_at > at for s in upcoming)


def test_a_clients_latest_confirmed_place_is_the_orms(sessions, client_a, client_b):
    assert client_location(client=client_a).region == "ID-YO"
    assert client_location(client=client_b).region == "MY-10"
    for client in (client_a, client_b, make_client("nowhere@clients.test", "Nowhere")):
        values = {"client": client.pk}
        statement = composed_for(("sessions.latest_confirmed_place",), _latest_confirmed_place, values)
        assert statement.tuples(values) == list(_latest_confirmed_place(client=client.pk))
        assert statement.tuples(values, high=1) == list(_latest_confirmed_place(client=client.pk)[:1])


def test_a_clients_referrals_are_the_orms(client_a, client_b, counselor_a, counselor_b):
    referral_create(counselor=counselor_a, client=client_a, reason="a1", destination="d")
    referral_create(counselor=counselor_b, client=client_b, reason="b1", destination="d")
    referral_create(counselor=counselor_b, client=client_a, reason="a2", destination="d")
    for client in (client_a, client_b, make_client("unreferred@clients.test", "Unreferred")):
        values = {"client": client.pk}
        got = composed_for(("sessions.client_referrals",), _client_referrals, values).instances(values)
        assert_same_instances(
            got, list(_client_referrals(client=client.pk)), ordered=True
        )  # newest first, as the ORM orders
        assert len(got) == {client_a: 2, client_b: 1}.get(client, 0)


def test_the_intake_with_the_gates_facts_is_the_orms(client_a, client_b, admin_user):
    complete_intake(client_a)
    complete_intake(client_b)
    CodeWord.objects.filter(client=client_a).delete()
    for status, days in ((IdentityDocumentStatus.VERIFIED, 3), ("rejected", 1)):
        IdentityDocument.objects.create(
            client=client_b,
            ref=uuid.uuid4(),
            content_type="image/png",
            size_bytes=1,
            status=status,
            uploaded_at=now() - timedelta(days=days),
        )
    for client in (client_a, client_b, make_client("no.intake@clients.test", "No Intake")):
        got = intake_for_gate(client=client)
        orm = list(_intake_with_gate_facts(client=client.pk))
        assert_same_instances([got] if got else [], orm)
    assert intake_for_gate(client=client_a).code_word_set is False
    assert intake_for_gate(client=client_a).document_status is None
    assert intake_for_gate(client=client_b).code_word_set is True
    assert intake_for_gate(client=client_b).document_status == IdentityDocumentStatus.VERIFIED


def test_a_clients_active_schedules_are_the_orms(client_a, client_b, counselor_a, counselor_b):
    for client, counselor, instrument, active in (
        (client_a, counselor_a, PHQ9, True),
        (client_a, counselor_b, GAD7, True),
        (client_a, counselor_b, PHQ9, False),
        (client_b, counselor_a, GAD7, True),
    ):
        MeasureSchedule.objects.create(
            client=client, counselor=counselor, instrument=instrument, cadence=Cadence.EVERY_N_WEEKS, active=active
        )
    for client in (client_a, client_b):
        values = {"client": client.pk}
        got = composed_for(("clinical.active_schedules",), _active_schedules, values).instances(values)
        assert_same_instances(got, list(_active_schedules(client=client.pk)))
        assert len(got) == (2 if client == client_a else 1)
        # Never answered: each active schedule every N weeks is due, its counselor read on its own or given.
        for counselors in (
            None,
            {counselor_a.pk: counselor_a},
            {counselor_a.pk: counselor_a, counselor_b.pk: counselor_b},
        ):
            due = measures_due_for(client=client, counselors=counselors)
            assert sorted(d.schedule.pk for d in due) == sorted(s.pk for s in got)


def test_whether_a_client_has_a_shared_plan_is_the_orms(client_a, client_b, counselor_a, counselor_b):
    shared = treatment_plan_get_or_create(counselor=counselor_a, client=client_a)
    treatment_plan_get_or_create(counselor=counselor_b, client=client_a)
    treatment_plan_get_or_create(counselor=counselor_a, client=client_b)
    for share in (False, True):
        TreatmentPlan.objects.filter(pk=shared.pk).update(shared_with_client=share)
        for client in (client_a, client_b):
            assert has_shared_plan(client=client) == shared_plans_for(client=client).exists()
        assert has_shared_plan(client=client_a) is share
        assert has_shared_plan(client=client_b) is False


@pytest.fixture
def conversations(client_a, client_b, counselor_a, counselor_b):
    # counselor_b without a client profile, client_b's counselor: the join gives None for it.
    _client_profile_of(counselor_a)
    return (
        Conversation.objects.create(client=client_a, counselor=counselor_a),
        Conversation.objects.create(client=client_b, counselor=counselor_b),
    )


def test_the_chats_conversation_is_the_orms(conversations, client_a, client_b):
    for conversation, user in zip(conversations, (client_a, client_b), strict=True):
        got = access_chat(user=user, conversation_id=conversation.pk).conversation
        assert_same_instances([got], [_conversation_with_profiles(conversation=conversation.pk).get()])
        assert got.client_id == user.pk
    with pytest.raises(Http404):
        access_chat(user=client_a, conversation_id=conversations[1].pk)
    with pytest.raises(Http404):
        access_chat(user=client_a, conversation_id=max(c.pk for c in conversations) + 1)


def test_a_conversations_covers_are_the_orms(conversations):
    at = now()
    for index, (conversation, minutes) in enumerate(
        ((conversations[0], -30), (conversations[0], 10), (conversations[1], 0))
    ):
        ConversationCover.objects.create(
            conversation=conversation,
            cover=make_counselor(f"cover{index}@staff.test", f"Cover {index}"),
            role=CoverRole.ON_CALL,
            reason=CoverReason.REPLY_OVERDUE,
            escalation_ref=1,
            card_path="/card/",
            from_seq=1,
            started_at=at + timedelta(minutes=minutes),
            ends_at=at + timedelta(minutes=minutes + 60),
        )
    for conversation in conversations:
        values = {"conversation": conversation.pk}
        got = composed_for(("chat.conversation_covers",), _conversation_covers, values).instances(values)
        assert_same_instances(got, list(_conversation_covers(conversation=conversation.pk)))
        assert len(got) == (2 if conversation == conversations[0] else 1)
