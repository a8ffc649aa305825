"""The practice rules: what each profession must hold where (data an admin keeps), the gate that requires the
whole set, and the consent's disclosure of the licences a counselor really holds."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from consent.rendering import consent_render
from consent.selectors import consent_version_in_force
from counseling.clock import now
from counseling.models import AuditEntry, CounselorProfile
from licensing import selectors
from licensing.models import CompactPrivilege, Jurisdiction, LicenceState, PracticeRule, RequiredCredential
from licensing.selectors import counselor_application, counselor_credentials_once, jurisdiction_gate, practice_rules
from tests.licensing.factories import (
    NOON,
    TODAY,
    body,
    compact,
    licence,
    licensed_in_indonesia,
    place,
    practice_rules_seeded,
    privilege,
)

pytestmark = pytest.mark.django_db


def test_the_migration_seeds_indonesia_and_the_united_states_with_their_legal_basis():
    practice_rules_seeded()
    indonesia = PracticeRule.objects.get(jurisdiction__country="ID", jurisdiction__region="")
    assert [(c.label, c.kinds, c.anywhere_in_jurisdiction) for c in indonesia.credentials.all()] == [
        ("Registration (STR)", {"str"}, False),
        ("Practice permit (SIPPK or SILP)", {"sippk", "silp"}, True),
    ]
    assert "UU 23/2022" in indonesia.legal_basis and "UU 17/2023" in indonesia.legal_basis
    assert "Re-check" in indonesia.legal_basis
    united_states = PracticeRule.objects.get(jurisdiction__country="US", jurisdiction__region="")
    assert [c.kinds for c in united_states.credentials.all()] == [{"us_lpc"}]


def test_an_str_alone_is_refused_in_indonesia_naming_the_missing_permit(counselor_a):
    licence(counselor_a, "ID")
    result = jurisdiction_gate(counselor=counselor_a, country="ID", region="ID-JK", at=NOON)
    assert (result.allowed, result.reason) == (False, "credential_missing")
    assert result.message.startswith("This counselor does not hold every licence the law requires where you are.")
    assert "SIPPK (Surat Izin Praktik Psikolog Klinis" in result.message
    assert "SILP (Surat Izin Layanan Psikologi" in result.message
    assert "missing" in result.message and "STR (" not in result.message  # the STR is held: not named
    assert result.action_url == "/licensing/counselors/"  # the client chooses another counselor
    counselor_side = result.addressed_to_counselor
    assert counselor_side.message.startswith("You may not counsel clients in DKI Jakarta at that time.")
    assert "SIPPK" in counselor_side.message and counselor_side.action_url == "/licensing/mine/"


def test_an_str_and_a_sippk_pass_anywhere_in_indonesia(counselor_a):
    licensed_in_indonesia(counselor_a, permit_place="ID-YO")
    for region in ("", "ID-YO", "ID-JK", "ID-PA"):
        assert jurisdiction_gate(counselor=counselor_a, country="ID", region=region, at=NOON), region


def test_a_sippk_alone_is_refused_naming_the_str(counselor_a):
    licence(counselor_a, "ID-YO", kind="sippk", number="SIPPK-1")
    result = jurisdiction_gate(counselor=counselor_a, country="ID", region="ID-YO", at=NOON)
    assert result.reason == "credential_missing" and "STR (Surat Tanda Registrasi" in result.message


def test_an_expired_permit_is_refused_at_the_session_time(counselor_a):
    licence(counselor_a, "ID", expires_on=TODAY + timedelta(days=400))
    licence(counselor_a, "ID-YO", kind="sippk", number="SIPPK-1", expires_on=TODAY + timedelta(days=5))
    assert jurisdiction_gate(counselor=counselor_a, country="ID", region="ID-JK", at=NOON)
    later = jurisdiction_gate(counselor=counselor_a, country="ID", region="ID-JK", at=NOON + timedelta(days=6))
    assert (later.allowed, later.reason) == (False, "licence_expired")
    assert "SIPPK" in later.message and "expired" in later.message


@pytest.mark.parametrize("state", [LicenceState.SUBMITTED, LicenceState.SUSPENDED, LicenceState.EXPIRED])
def test_a_permit_that_is_not_verified_does_not_count(counselor_a, state):
    licence(counselor_a, "ID")
    licence(counselor_a, "ID-YO", kind="sippk", number="SIPPK-1", state=state)
    assert not jurisdiction_gate(counselor=counselor_a, country="ID", region="ID-YO", at=NOON)


def test_a_us_state_licence_alone_passes_in_its_state_only(counselor_b):
    licence(counselor_b, "US-TX", kind="us_lpc", number="LPC-1")
    assert jurisdiction_gate(counselor=counselor_b, country="US", region="US-TX", at=NOON)
    assert jurisdiction_gate(counselor=counselor_b, country="US", region="US-CA", at=NOON).reason == "no_licence_there"


def test_a_place_without_any_rule_is_refused(counselor_a):
    singapore = place("SG", "Singapore")
    licence(counselor_a, "SG", kind="other", number="SG-1", issuing_body=body("SG board", "SG", "https://sg.test/"))
    result = jurisdiction_gate(counselor=counselor_a, country="SG", at=NOON)
    assert (result.allowed, result.reason) == (False, "no_rule_there")
    rule = PracticeRule.objects.create(
        jurisdiction=singapore, profession="Counsellor", legal_basis="test", checked_on=TODAY
    )
    RequiredCredential.objects.create(rule=rule, label="Licence", licence_kinds="other")
    assert jurisdiction_gate(counselor=counselor_a, country="SG", at=NOON)


def test_a_regional_rule_replaces_the_countrys_and_an_inactive_rule_is_ignored(counselor_a):
    licensed_in_indonesia(counselor_a)
    rule = PracticeRule.objects.create(
        jurisdiction=Jurisdiction.objects.get(country="ID", region="ID-JK"),
        profession="Psychologist (Jakarta)",
        legal_basis="test",
        checked_on=TODAY,
    )
    RequiredCredential.objects.create(rule=rule, label="STR", licence_kinds="str")
    RequiredCredential.objects.create(rule=rule, label="Certification", licence_kinds="counselor_certification")
    result = jurisdiction_gate(counselor=counselor_a, country="ID", region="ID-JK", at=NOON)
    assert result.reason == "credential_missing" and "Counselor certification" in result.message
    assert jurisdiction_gate(counselor=counselor_a, country="ID", region="ID-YO", at=NOON)
    rule.is_active = False
    rule.save(update_fields=["is_active"])
    assert jurisdiction_gate(counselor=counselor_a, country="ID", region="ID-JK", at=NOON)


def test_an_admin_edits_a_rule_in_the_admin_site_and_the_change_is_audited(client, staff_login, admin_user):
    practice_rules_seeded()
    rule = PracticeRule.objects.get(jurisdiction__country="US", jurisdiction__region="")
    credential = rule.credentials.get()
    staff_login(client, admin_user)
    response = client.post(
        f"/admin/licensing/practicerule/{rule.pk}/change/",
        {
            "jurisdiction": rule.jurisdiction_id,
            "profession": rule.profession,
            "legal_basis": rule.legal_basis,
            "checked_on": "2027-01-15",
            "is_active": "on",
            "credentials-TOTAL_FORMS": "1",
            "credentials-INITIAL_FORMS": "1",
            "credentials-MIN_NUM_FORMS": "0",
            "credentials-MAX_NUM_FORMS": "1000",
            "credentials-0-id": credential.pk,
            "credentials-0-rule": rule.pk,
            "credentials-0-position": "0",
            "credentials-0-label": credential.label,
            "credentials-0-licence_kinds": "us_lpc,other",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = AuditEntry.objects.filter(action="practice_rule.changed").get()
    assert (entry.actor_id, entry.target_id) == (admin_user.pk, str(rule.pk))
    assert entry.detail["checked_on"] == "2027-01-15"
    assert entry.detail["credentials"] == [{"label": credential.label, "kinds": "us_lpc,other", "anywhere": False}]


def test_a_counselor_cannot_open_the_rules_in_the_admin_site(client, staff_login, counselor_a):
    practice_rules_seeded()
    staff_login(client, counselor_a)
    response = client.get("/admin/licensing/practicerule/")
    assert response.status_code in (302, 403)
    assert "practice_rule" not in set(AuditEntry.objects.values_list("action", flat=True))


def test_the_consent_lists_verified_licences_with_issuing_bodies_and_never_unverified_ones(counselor_a):
    registration, permit = licensed_in_indonesia(counselor_a)
    licence(counselor_a, "ID-JK", kind="silp", number="SILP-PENDING", state=LicenceState.SUBMITTED)
    licence(counselor_a, "ID", number="STR-REJECTED", state=LicenceState.REJECTED)
    version = consent_version_in_force(language="en")
    section = next(s for s in consent_render(version=version, counselor=counselor_a).sections if s.key == "counselor")
    assert "Professional title: Psikolog Klinis" in section.body
    assert "Credentials: Psikolog Klinis" not in section.body  # the free text is a title, not a credential
    assert f"STR (Surat Tanda Registrasi, psychologist registration) no. {registration.number}" in section.body
    assert f"no. {permit.number}" in section.body
    assert f"issued by {registration.issuing_body.name}" in section.body
    assert "SILP-PENDING" not in section.body and "STR-REJECTED" not in section.body


def test_a_counselor_without_a_verified_licence_discloses_none_not_their_title(counselor_a):
    CounselorProfile.objects.filter(user=counselor_a).update(professional_title="Licensed everything")
    licence(counselor_a, "ID", state=LicenceState.SUBMITTED)
    version = consent_version_in_force(language="en")
    body_text = next(
        s.body for s in consent_render(version=version, counselor=counselor_a).sections if s.key == "counselor"
    )
    assert "Verified licences: none on record at the moment." in body_text
    assert "STR-1234" not in body_text


def _from_the_application(counselor):
    """The counselor as the caseload reads them: their application, whose licences the disclosure then takes."""
    application = counselor_application(counselor=counselor, at=now())
    counselor_credentials_once(counselor=application.counselor, licences=application.licences)
    return application.counselor


def _rendered_with_licence_queries(version, counselor):
    with CaptureQueriesContext(connection) as queries:
        rendered = consent_render(version=version, counselor=counselor)
    reads = [q["sql"] for q in queries.captured_queries]
    return (
        rendered,
        [sql for sql in reads if 'FROM "licensing_licence"' in sql],
        [sql for sql in reads if 'FROM "licensing_compactprivilege"' in sql],
    )


def test_the_disclosure_takes_the_licences_the_application_read_and_says_the_same(counselor_a):
    licensed_in_indonesia(counselor_a)
    licence(counselor_a, "US", kind="us_lpc", number="LPC-77", issuing_body=body("Board", "US", "https://b.us/"))
    licence(counselor_a, "ID-JK", kind="silp", number="SILP-PENDING", state=LicenceState.SUBMITTED)
    licence(counselor_a, "ID", kind="silp", number="SILP-OLD", expires_on=TODAY - timedelta(days=1))
    version = consent_version_in_force(language="en")
    read_anew, queries, _privileges = _rendered_with_licence_queries(version, counselor_a)
    assert queries  # nothing read before: the disclosure reads the licences
    from_application, queries, privileges = _rendered_with_licence_queries(version, _from_the_application(counselor_a))
    assert not queries and not privileges  # they hold no compact privilege
    assert from_application.text == read_anew.text and from_application.sha256 == read_anew.sha256
    assert "LPC-77" in from_application.text and "SILP-OLD" not in from_application.text


def test_with_two_licences_of_one_kind_in_one_country_the_disclosure_takes_the_applications_in_id_order(counselor_a):
    licensed_in_indonesia(counselor_a)
    licence(counselor_a, "ID-JK", kind="sippk", number="SIPPK-JAKARTA")
    version = consent_version_in_force(language="en")
    from_application, queries, _privileges = _rendered_with_licence_queries(version, _from_the_application(counselor_a))
    assert not queries  # a tie is broken by the licences' ids, in the database and here alike: nothing read again
    assert from_application.text == consent_render(version=version, counselor=counselor_a).text
    sippk = [line for line in from_application.text.splitlines() if "no. SIPPK" in line]
    assert len(sippk) == 2 and "SIPPK-JAKARTA" in sippk[1]  # the later licence, after the first


def test_a_compact_privilege_is_disclosed_the_same_from_the_applications_licences(counselor_b, admin_user):
    home = licence(
        counselor_b, "US-TX", kind="us_lpc", number="LPC-TX", issuing_body=body("Board", "US", "https://b.us/")
    )
    agreement = compact("US-TX", "US-KS", "US-MO")
    privilege(home, "US-KS", agreement=agreement, recorded_by=admin_user)
    revoked = privilege(home, "US-MO", agreement=agreement, recorded_by=admin_user)
    CompactPrivilege.objects.filter(pk=revoked.pk).update(revoked_at=NOON)
    version = consent_version_in_force(language="en")
    read_anew = consent_render(version=version, counselor=counselor_b)
    from_application, queries, privileges = _rendered_with_licence_queries(version, _from_the_application(counselor_b))
    assert privileges and not queries  # they hold a privilege: read, with the licences already read
    assert from_application.text == read_anew.text
    assert from_application.text.count("Privilege to practise in") == 1  # the revoked one is not shown
    CompactPrivilege.objects.filter(home_licence=home).update(revoked_at=NOON)
    from_application, _queries, _privileges = _rendered_with_licence_queries(
        version, _from_the_application(counselor_b)
    )
    assert "Privilege to practise" not in from_application.text
    assert from_application.text == consent_render(version=version, counselor=counselor_b).text


def test_the_gate_reads_each_active_rule_of_the_country_with_its_credentials_as_the_models_order_them():
    """practice_rules composes its own statement: the same rules and credentials, in the order the ORM's default
    orders give (the rules by jurisdiction and profession, each rule's credentials by position and id); a rule
    without credentials is kept (met by anyone), an inactive rule or another country's is left out."""
    practice_rules_seeded()
    for code in ("ID-YO", "ID-JK", "US-TX"):
        place(code)
    jakarta = Jurisdiction.objects.get(country="ID", region="ID-JK")
    for profession, active in [("Zeta counselor", True), ("Alpha counselor", True), ("Inactive", False)]:
        rule = PracticeRule.objects.create(
            jurisdiction=jakarta, profession=profession, legal_basis="test", checked_on=TODAY, is_active=active
        )
        for position, label in [(2, "last"), (0, "first b"), (0, "first a"), (1, "middle")]:
            RequiredCredential.objects.create(
                rule=rule, label=f"{profession} {label}", licence_kinds="str, sippk", position=position
            )
    PracticeRule.objects.create(
        jurisdiction=Jurisdiction.objects.get(country="ID", region="ID-YO"),
        profession="Without credentials",
        legal_basis="test",
        checked_on=TODAY,
    )
    PracticeRule.objects.create(
        jurisdiction=Jurisdiction.objects.get(country="US", region="US-TX"),
        profession="Texas",
        legal_basis="test",
        checked_on=TODAY,
    )
    for country in ("ID", "id", "US", "SG"):
        expected = [
            (
                (rule.jurisdiction.country, rule.jurisdiction.region),
                [(c.label, c.licence_kinds, c.anywhere_in_jurisdiction, c.kinds) for c in rule.credentials.all()],
            )
            for rule in PracticeRule.objects.filter(is_active=True, jurisdiction__country=country.upper())
        ]
        read = practice_rules(country=country)
        assert [
            (
                (rule.jurisdiction.country, rule.jurisdiction.region),
                [(c.label, c.licence_kinds, c.anywhere_in_jurisdiction, c.kinds) for c in rule.credentials],
            )
            for rule in read
        ] == expected
        for rule in read:
            for other in ("", "ID-JK", "ID-YO", "US-TX"):
                assert rule.jurisdiction.covers(country=country, region=other) == Jurisdiction(
                    country=rule.jurisdiction.country, region=rule.jurisdiction.region
                ).covers(country=country, region=other)
    assert len(practice_rules(country="ID")) == 4 and practice_rules(country="SG") == []


def test_the_rules_statement_is_composed_once_and_read_with_each_countrys_value(monkeypatch):
    """After a first read, practice_rules composes no queryset: the statement composed once is run with the
    country asked for, and gives what the ORM gives for it."""
    practice_rules_seeded()
    practice_rules(country="ID")

    def composed_again(**values):
        raise AssertionError("composed again")

    monkeypatch.setattr(selectors, "_active_rules", composed_again)
    for country in ("US", "ID", "SG"):
        assert [
            ((rule.jurisdiction.country, rule.jurisdiction.region), [c.label for c in rule.credentials])
            for rule in practice_rules(country=country)
        ] == [
            ((rule.jurisdiction.country, rule.jurisdiction.region), [c.label for c in rule.credentials.all()])
            for rule in PracticeRule.objects.filter(is_active=True, jurisdiction__country=country)
        ]
