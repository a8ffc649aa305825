"""Intake: after consent, sealed at rest, minors by rule, emergency plan and suitability recorded."""

import json
from datetime import date

import pytest
from django.db import connection
from django.urls import reverse

from counseling.crypto import open_text
from counseling.gates import GateResult
from counseling.models import AuditEntry
from identity.models import CodeWord, Intake
from identity.selectors import identity_gate, intake_answers, intake_for, intake_for_gate
from identity.services import intake_submit
from tests.conftest import make_client

pytestmark = pytest.mark.django_db

ANSWERS = {
    "legal_name": "Ayu Lestari Wibowo",
    "date_of_birth": "1994-03-17",
    "phone": "+62 812 5550 1234",
    "country": "ID",
    "region": "ID-YO",
    "emergency_contact_name": "Budi Santoso",
    "emergency_contact_relation": "brother",
    "emergency_contact_phone": "+62 813 5550 9876",
    "other_providers": "dr. Rina, puskesmas Depok",
    "connection_drop_plan": "Reconnect for 10 minutes, then my counselor phones me.",
    "suitable_text": True,
    "suitable_private": True,
    "suitable_language": True,
}

FORM = {
    **{k: v for k, v in ANSWERS.items() if not k.startswith("suitable_")},
    "suitable_text": "on",
    "suitable_private": "on",
    "suitable_language": "on",
    "emergency_contact_authorised": "on",
    "code_word": "kupu-kupu biru",
    "code_word_again": "kupu-kupu biru",
}


def complete_intake(client, **overrides):
    """A full intake with emergency plan and code word, as the form would submit it."""
    answers = {**ANSWERS, **{k: v for k, v in overrides.items() if k in ANSWERS}}
    return intake_submit(
        client=client,
        answers=answers,
        emergency_contact_authorised=overrides.get("authorised", True),
        guardian_consent=overrides.get("guardian_consent", False),
        code_word=overrides.get("code_word", "kupu-kupu biru"),
    )


@pytest.fixture
def consented(monkeypatch):
    monkeypatch.setattr("identity.views.consent_gate", lambda **kw: GateResult.ok())


def test_stored_personal_fields_are_not_plaintext_in_the_database(client_a):
    intake = complete_intake(client_a)
    with connection.cursor() as cursor:
        cursor.execute("SELECT answers_sealed FROM counseling_intake WHERE id = %s", [intake.pk])
        raw = bytes(cursor.fetchone()[0])
    for secret in ("Ayu Lestari", "1994-03-17", "5550 1234", "Budi Santoso", "puskesmas", "ID-YO"):
        assert secret.encode() not in raw
    # It opens only under this client's key and in its own place.
    assert (
        json.loads(open_text(owner_id=client_a.pk, sealed=raw, context=f"intake:{client_a.pk}"))["legal_name"]
        == "Ayu Lestari Wibowo"
    )


def test_the_code_word_is_stored_hashed(client_a):
    complete_intake(client_a, code_word="kupu-kupu biru")
    with connection.cursor() as cursor:
        cursor.execute("SELECT hashed FROM counseling_codeword WHERE client_id = %s", [client_a.pk])
        stored = cursor.fetchone()[0]
    assert "kupu" not in stored
    assert stored.startswith(("argon2", "pbkdf2"))


def test_the_audit_entry_of_an_intake_holds_no_personal_data(client_a):
    complete_intake(client_a)
    entry = AuditEntry.objects.get(action="intake.submitted")
    text = json.dumps(entry.detail)
    assert entry.subject_id == client_a.pk
    assert "Ayu" not in text and "Budi" not in text and "+62" not in text


def test_a_client_fills_in_the_intake_through_the_page(client, client_a, consented):
    client.force_login(client_a)
    page = client.get(reverse("intake:form"))
    assert page.status_code == 200
    assert b"112" in page.content  # the emergency numbers of the place are on the page
    response = client.post(reverse("intake:form"), FORM)
    assert response.status_code == 302
    intake = Intake.objects.get(client=client_a)
    assert intake.has_emergency_plan and intake.suitability_passed and not intake.is_minor
    assert intake_answers(intake)["emergency_contact_name"] == "Budi Santoso"
    assert CodeWord.objects.filter(client=client_a).exists()
    # Coming back shows the client's own answers, opened.
    assert "Ayu Lestari Wibowo" in client.get(reverse("intake:form")).content.decode()


def test_the_intake_comes_after_consent(client, client_a, monkeypatch):
    monkeypatch.setattr(
        "identity.views.consent_gate",
        lambda **kw: GateResult.refuse("consent_missing", "Accept the terms first.", "/consent/"),
    )
    client.force_login(client_a)
    response = client.get(reverse("intake:form"))
    assert response.status_code == 302
    assert response.url == "/consent/"
    client.post(reverse("intake:form"), FORM)
    assert not Intake.objects.filter(client=client_a).exists()


def test_the_emergency_contact_needs_the_clients_explicit_authorisation(client, client_a, consented):
    client.force_login(client_a)
    response = client.post(reverse("intake:form"), {**FORM, "emergency_contact_authorised": ""})
    assert response.status_code == 200
    assert not Intake.objects.filter(client=client_a).exists()


def test_a_first_intake_needs_a_code_word_typed_twice_alike(client, client_a, consented):
    client.force_login(client_a)
    response = client.post(reverse("intake:form"), {**FORM, "code_word_again": "something else"})
    assert b"differ" in response.content
    response = client.post(reverse("intake:form"), {**FORM, "code_word": "", "code_word_again": ""})
    assert b"at least 4 characters" in response.content
    assert not Intake.objects.filter(client=client_a).exists()


def test_an_unsuitable_screen_is_recorded_and_says_so(client, client_a, consented):
    client.force_login(client_a)
    client.post(reverse("intake:form"), {**FORM, "suitable_private": ""})
    assert Intake.objects.get(client=client_a).suitability_passed is False
    assert b"may not suit you" in client.get(reverse("intake:home")).content


def _born_years_ago(years: int) -> str:
    today = date.today()
    return today.replace(year=today.year - years).isoformat()


def test_a_minor_is_refused_when_the_rule_says_refuse(client, client_a, consented, settings):
    settings.MINOR_POLICY = "refuse"
    client.force_login(client_a)
    response = client.post(reverse("intake:form"), {**FORM, "date_of_birth": _born_years_ago(16)})
    assert b"for adults" in response.content
    assert not Intake.objects.filter(client=client_a).exists()


def test_a_minor_needs_a_guardians_consent_when_the_rule_says_so(client, client_a, consented, settings):
    settings.MINOR_POLICY = "guardian_consent"
    client.force_login(client_a)
    minor = {**FORM, "date_of_birth": _born_years_ago(16)}
    response = client.post(reverse("intake:form"), minor)
    assert b"guardian must consent" in response.content
    assert not Intake.objects.filter(client=client_a).exists()
    client.post(
        reverse("intake:form"),
        {**minor, "guardian_name": "Ibu Sari", "guardian_contact": "+62 811 000", "guardian_consent": "on"},
    )
    intake = Intake.objects.get(client=client_a)
    assert intake.is_minor and intake.guardian_consent_recorded
    assert intake_answers(intake)["guardian_name"] == "Ibu Sari"


def test_the_age_of_majority_is_per_country(client, client_a, consented, settings):
    settings.AGE_OF_MAJORITY_BY_COUNTRY = {"ID": 18, "US": 21}
    settings.MINOR_POLICY = "refuse"
    client.force_login(client_a)
    nineteen = _born_years_ago(19)
    assert (
        b"for adults"
        in client.post(
            reverse("intake:form"), {**FORM, "country": "US", "region": "US-TX", "date_of_birth": nineteen}
        ).content
    )
    client.post(reverse("intake:form"), {**FORM, "date_of_birth": nineteen})
    assert Intake.objects.filter(client=client_a).exists()


def test_a_region_must_belong_to_the_country(client, client_a, consented):
    client.force_login(client_a)
    response = client.post(reverse("intake:form"), {**FORM, "country": "ID", "region": "US-TX"})
    assert b"not in the country" in response.content


@pytest.mark.parametrize("persona", ["counselor_a", "admin_user"])
def test_staff_cannot_open_a_clients_intake_pages(client, request, staff_login, persona):
    staff_login(client, request.getfixturevalue(persona))
    for name in ("intake:home", "intake:form", "intake:identity_upload"):
        assert client.get(reverse(name)).status_code == 403


def test_anonymous_visitors_are_sent_to_login_from_intake_pages(client):
    for name in ("intake:home", "intake:form", "intake:identity_upload"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_one_clients_intake_is_never_shown_to_another(client, client_a, client_b, consented):
    complete_intake(client_a)
    client.force_login(client_b)
    assert "Ayu Lestari" not in client.get(reverse("intake:form")).content.decode()
    assert "Ayu Lestari" not in client.get(reverse("intake:home")).content.decode()


def test_the_intake_speaks_bahasa_indonesia(client, client_a, consented, settings):
    client.force_login(client_a)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"
    page = client.get(reverse("intake:form")).content.decode()
    assert "Rencana darurat" in page and "Nama sesuai identitas" in page
    assert "belum tersedia di semua daerah di Indonesia" in page  # 112's seeded description, translated
    assert "Layanan kesehatan jiwa dan pencegahan bunuh diri" in page  # Healing119's
    assert "kode pengenal" in page.lower() and "kata sandi rahasia" not in page


def test_the_gates_for_a_page_of_clients_decide_each_as_the_gate_for_one_client(counselor_a):
    """identity_gates reads a page's intakes with their code words and documents in one query; identity_gate with
    the intake given reads them apart: both decide alike, in every state of the way."""
    from datetime import timedelta
    from uuid import uuid4

    from counseling.clock import now
    from identity.models import IdentityDocument, IdentityDocumentStatus
    from identity.selectors import identity_gate, identity_gates
    from identity.services import suitability_override_record
    from tests.conftest import make_client

    def document(client, status, minutes_ago):
        IdentityDocument.objects.create(
            client=client,
            ref=uuid4(),
            content_type="image/png",
            size_bytes=1,
            status=status,
            uploaded_at=now() - timedelta(minutes=minutes_ago),
        )

    clients = {}

    def client_in(state, **intake):
        client = clients[state] = make_client(f"{state}@clients.test", state)
        if intake.pop("intake", True):
            complete_intake(client, **intake)
        return client

    client_in("no_intake", intake=False)
    client_in("unauthorised_contact", authorised=False)
    CodeWord.objects.filter(client=client_in("no_code_word")).delete()
    client_in("no_document")
    document(client_in("pending"), IdentityDocumentStatus.PENDING, 5)
    document(client_in("rejected"), IdentityDocumentStatus.REJECTED, 5)
    rejected_again = client_in("rejected_after_pending")
    document(rejected_again, IdentityDocumentStatus.PENDING, 9)
    document(rejected_again, IdentityDocumentStatus.REJECTED, 5)
    verified_before = client_in("verified_then_rejected")
    document(verified_before, IdentityDocumentStatus.VERIFIED, 9)
    document(verified_before, IdentityDocumentStatus.REJECTED, 5)
    document(client_in("unsuitable", suitable_text=False), IdentityDocumentStatus.VERIFIED, 5)
    overridden = client_in("unsuitable_overridden", suitable_text=False)
    document(overridden, IdentityDocumentStatus.VERIFIED, 5)
    suitability_override_record(client=overridden, counselor=counselor_a, reason="We spoke by video first.")
    client_in("no_intake_either", intake=False)  # the page's one refusal without an intake, given again
    for counselor in (None, counselor_a):
        page = identity_gates(clients=list(clients.values()), counselor=counselor)
        for state, client in clients.items():
            alone = identity_gate(
                client=client, counselor=counselor, intake=Intake.objects.filter(client=client).first()
            )
            assert page[client.pk] == alone, state
            # The intake read with the gate's facts (intake_for_gate) decides alike.
            assert identity_gate(client=client, counselor=counselor, intake=intake_for_gate(client=client)) == alone
    decided = {state: page[client.pk].reason for state, client in clients.items()}
    assert decided == {
        "no_intake": "intake_missing",
        "unauthorised_contact": "emergency_plan_missing",
        "no_code_word": "code_word_missing",
        "no_document": "identity_unverified",
        "pending": "identity_unverified",
        "rejected": "identity_unverified",
        "rejected_after_pending": "identity_unverified",
        "verified_then_rejected": "",
        "unsuitable": "unsuitable_for_text",
        "unsuitable_overridden": "",
        "no_intake_either": "intake_missing",
    }
    assert page[clients["pending"].pk].message != page[clients["rejected_after_pending"].pk].message


def test_the_intake_read_with_the_gates_facts_spares_the_gate_its_queries(client_a, django_assert_num_queries):
    """intake_for_gate reads the intake (answers included) with the code word and document facts in one query;
    the identity gate given it asks nothing more, and its answers open as intake_for's do."""
    complete_intake(client_a)
    with django_assert_num_queries(1):
        intake = intake_for_gate(client=client_a)
    with django_assert_num_queries(0):
        gate = identity_gate(client=client_a, intake=intake)
    assert gate.reason == "identity_unverified"  # a code word, no document yet
    assert intake_answers(intake) == intake_answers(intake_for(client=client_a))
    assert intake_for_gate(client=make_client("none@clients.test", "None")) is None


def test_the_gate_asks_again_for_an_intake_read_without_its_facts(client_a, client_b):
    """Only an intake read with the facts (intake_for_gate), and for the client asked about, spares the queries:
    a plain intake, or another client's, never lends the gate a code word or document it did not read."""
    complete_intake(client_a)
    complete_intake(client_b)
    CodeWord.objects.filter(client=client_a).delete()
    plain = intake_for(client=client_a)
    assert identity_gate(client=client_a, intake=plain).reason == "code_word_missing"
    others = intake_for_gate(client=client_b)  # client_b has a code word
    assert others.code_word_set
    assert identity_gate(client=client_a, intake=others).reason == "code_word_missing"
    with_facts = intake_for_gate(client=client_a)
    assert not with_facts.code_word_set
    assert identity_gate(client=client_a, intake=with_facts).reason == "code_word_missing"
