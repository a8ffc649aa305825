"""Retention as promised: the longest rule wins over the client's places and their counselors' licence places.

The consent and the transparency page say records are kept "at least 7 years ... or longer if a law of your
or your counselor's place requires it"; these tests read that sentence where it is published and prove the
function keeps it.
"""

from datetime import timedelta

import pytest

from consent.selectors import consent_version_in_force
from counseling import clock
from counseling.models import AuditEntry
from licensing.models import Jurisdiction, LicenceState
from records.models import RetentionRule
from records.services import (
    INDONESIA_RULE_NAME,
    legal_hold_place,
    legal_hold_release,
    retention_due,
    retention_duties,
    retention_places,
)
from sessions.models import ConversationCover
from tests.counseling.test_escalation_support import make_message, make_session
from tests.licensing.factories import compact, licence, place

NOW = clock.now()
# The contact is put at noon of today, so that its date (and the rule's end date) does not move when the suite
# runs near midnight: a session begun at 23:30 ends, and so is last contacted, the next day.
CONTACT = NOW.replace(hour=12, minute=0, second=0, microsecond=0)


def years_after(day, years):
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one: kept until the 28th
        return day.replace(year=day.year + years, day=28)


def counsel(client_user, counselor, *, country, region=""):
    """One confirmed session in a place and one message: the last contact is today (CONTACT, noon)."""
    type(client_user).objects.filter(pk=client_user.pk).update(
        date_joined=CONTACT - timedelta(days=1), last_login=CONTACT - timedelta(days=1)
    )
    session = make_session(client_user, counselor, country=country, region=region, at=CONTACT)
    make_message(client_user, counselor, "a clinical record", session=session, at=CONTACT)
    return session


def keep_until(client_user):
    duties, _holds = retention_duties(client=client_user)
    return duties[0]


@pytest.fixture
def only_test_rules(db):
    """The two-place cases alone: the seeded rules (the APA floor included) are switched off."""
    RetentionRule.objects.update(is_active=False)
    RetentionRule.objects.create(name="Five-year place", country="SG", years_after_last_contact=5, citation="t")
    RetentionRule.objects.create(name="Seven-year place", country="MY", years_after_last_contact=7, citation="t")
    RetentionRule.objects.create(name="Ten-year place", country="NZ", years_after_last_contact=10, citation="t")


def test_a_client_in_a_5_year_place_with_a_counselor_licensed_in_a_7_year_place_is_kept_7_years(
    only_test_rules, client_a, counselor_a
):
    counsel(client_a, counselor_a, country="SG")
    assert keep_until(client_a).rule == "Five-year place"  # no licence yet: the client's place alone
    licence(counselor_a, "MY", number="MY-7")
    duty = keep_until(client_a)
    assert duty.rule == "Seven-year place"
    assert duty.until == years_after(CONTACT.date(), 7)
    assert retention_places(client_a.pk) == {("SG", ""), ("MY", "")}


def test_when_the_clients_place_is_longest_it_wins_over_the_counselors_licence(only_test_rules, client_a, counselor_a):
    counsel(client_a, counselor_a, country="NZ")
    licence(counselor_a, "MY", number="MY-7")
    duty = keep_until(client_a)
    assert duty.rule == "Ten-year place" and duty.until == years_after(CONTACT.date(), 10)


def test_a_licence_never_accepted_does_not_bring_its_place_in(only_test_rules, client_a, counselor_a):
    counsel(client_a, counselor_a, country="SG")
    licence(counselor_a, "MY", number="MY-rejected", state=LicenceState.REJECTED)
    licence(counselor_a, "NZ", number="NZ-submitted", state=LicenceState.SUBMITTED)
    assert keep_until(client_a).rule == "Five-year place"
    # An expired licence still does: the records were made while it was valid.
    licence(counselor_a, "NZ", number="NZ-expired", state=LicenceState.EXPIRED)
    assert keep_until(client_a).rule == "Ten-year place"


def test_every_counselor_who_counseled_the_client_counts_a_cover_and_a_privilege_too(
    only_test_rules, client_a, counselor_a, counselor_b
):
    session = counsel(client_a, counselor_a, country="SG")
    # counselor_b answered in the conversation as a cover (crisis picked them up): their licence counts.
    ConversationCover.objects.create(
        conversation=session.client.client_conversations.get(),
        cover=counselor_b,
        role="on_call",
        reason="help",
        escalation_ref=1,
        card_path="/card/1/",
        from_seq=1,
        ends_at=NOW + timedelta(hours=1),
    )
    home = licence(counselor_b, "US-TX", kind="us_lpc", number="LPC-1")
    assert keep_until(client_a).rule == "Five-year place"  # Texas has no rule among the test rules
    RetentionRule.objects.create(name="Kansas twelve", country="US", region="US-KS", years_after_last_contact=12)
    agreement = compact("US-TX", "US-KS")
    agreement.privileges.create(
        counselor=counselor_b, home_licence=home, jurisdiction=place("US-KS"), recorded_by=counselor_b
    )
    assert keep_until(client_a).rule == "Kansas twelve"


def test_a_cancelled_session_with_a_counselor_does_not_count(only_test_rules, client_a, counselor_a, counselor_b):
    counsel(client_a, counselor_a, country="SG")
    # A day later (a client's sessions never overlap: PostgreSQL's exclusion constraint).
    cancelled = make_session(client_a, counselor_b, country="SG", at=clock.now() + timedelta(days=1))
    cancelled.state = "cancelled"
    cancelled.save(update_fields=["state"])
    licence(counselor_b, "NZ", number="NZ-10")
    assert keep_until(client_a).rule == "Five-year place"


def test_the_due_job_waits_for_the_counselors_longer_rule(only_test_rules, client_a, counselor_a):
    counsel(client_a, counselor_a, country="SG")
    licence(counselor_a, "MY", number="MY-7")
    six_years_on = NOW + timedelta(days=365 * 6)
    assert retention_due(at=six_years_on) == []
    assert retention_due(at=years_after(CONTACT, 7) - timedelta(days=1)) == []
    assert [plan.client_id for plan in retention_due(at=years_after(CONTACT, 7))] == [client_a.pk]


# ------------------------------------------------------------------------------------------------
# The seeded rules (records 0003)


def test_indonesia_is_seeded_with_its_legal_source(db):
    rule = RetentionRule.objects.get(country="ID", region="", is_active=True)
    assert rule.name == INDONESIA_RULE_NAME  # marked for translation: an Indonesian client is told its name
    assert rule.years_after_last_contact == 25
    assert "Permenkes 24/2022" in rule.citation and "Pasal 39" in rule.citation
    assert "UU 27/2022" in rule.citation and "RE-CHECK" in rule.citation


def test_every_seeded_us_state_has_a_rule_with_its_source(db):
    states = set(Jurisdiction.objects.filter(country="US").exclude(region="").values_list("region", flat=True))
    assert len(states) == 51  # the licensing seed: 50 states and DC
    rules = {rule.region: rule for rule in RetentionRule.objects.filter(country="US", is_active=True)}
    assert set(rules) >= states
    assert all(rule.citation.strip() for rule in RetentionRule.objects.all())
    texas = rules["US-TX"]
    assert "22 TAC §681.36" in texas.citation
    assert (texas.years_after_last_contact, texas.age_of_majority, texas.years_after_majority) == (7, 18, 5)
    assert (rules["US-NY"].age_of_majority, rules["US-NY"].years_after_majority) == (21, 1)
    # A state whose rule was not found is seeded with the APA default, and says so.
    assert "No state rule verified: APA default" in rules["US-AL"].citation
    assert rules["US-AL"].years_after_last_contact == 7


def test_the_admin_shows_each_rules_legal_source(client, admin_user, staff_login):
    staff_login(client, admin_user)
    page = client.get("/admin/records/retentionrule/?q=Texas").content.decode()
    assert "22 TAC §681.36(b)" in page
    form = client.get("/admin/records/retentionrule/add/").content.decode()
    assert 'name="citation"' in form
    response = client.post(
        "/admin/records/retentionrule/add/",
        {
            "name": "No source",
            "country": "FR",
            "region": "",
            "years_after_last_contact": 5,
            "age_of_majority": 18,
            "years_after_majority": 3,
            "citation": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    assert not RetentionRule.objects.filter(name="No source").exists()


# ------------------------------------------------------------------------------------------------
# The promise, where it is published, and the function that keeps it


def test_the_published_consent_and_transparency_page_promise_the_counselors_place(db, client):
    english = consent_version_in_force(language="en").sections.get(key="retention").body
    indonesian = consent_version_in_force(language="id").sections.get(key="retention").body
    assert "at least 7 years" in english and "a law of your or your counselor's place requires it" in english
    assert "sekurang-kurangnya 7 tahun" in indonesian and "hukum di tempat Anda atau tempat konselor" in indonesian
    page = client.get("/consent/transparency/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "when a law of your or your counselor&#x27;s place requires it" in page or (
        "when a law of your or your counselor's place requires it" in page
    )


def test_the_function_keeps_the_promise_with_the_seeded_rules(client_a, client_b, counselor_a, counselor_b):
    # Both clients were in Singapore, where no rule of its own is seeded: at least 7 years (the APA floor).
    counsel(client_a, counselor_a, country="SG")
    counsel(client_b, counselor_b, country="SG")
    assert keep_until(client_a).until == years_after(CONTACT.date(), 7)
    # client_b's counselor holds an Indonesian licence: Indonesia's law (25 years) keeps the records.
    licence(counselor_b, "ID", number="STR-25")
    duty = keep_until(client_b)
    assert duty.rule.startswith("Indonesia: Permenkes 24/2022") and duty.until == years_after(CONTACT.date(), 25)
    assert keep_until(client_a).until == years_after(CONTACT.date(), 7)


def test_a_texan_client_of_a_counselor_licensed_in_indonesia_is_kept_by_the_longer_indonesian_rule(
    client_a, counselor_a
):
    counsel(client_a, counselor_a, country="US", region="US-TX")
    # Texas and the APA default both say 7 years here; the reason given is the law of the place.
    assert keep_until(client_a).rule.startswith("Texas") and keep_until(client_a).until == years_after(
        CONTACT.date(), 7
    )
    licence(counselor_a, "ID", number="STR-25")
    assert keep_until(client_a).until == years_after(CONTACT.date(), 25)


# ------------------------------------------------------------------------------------------------
# Releasing a legal hold (records.services.legal_hold_release) is audited


def test_releasing_a_legal_hold_is_audited_and_retention_may_resume(client_a, admin_user):
    hold = legal_hold_place(client=client_a, reason="Court order 7/2026", placed_by=admin_user)
    assert retention_duties(client=client_a)[1] == [hold]
    legal_hold_release(hold=hold, reason="Case closed by the court", released_by=admin_user)
    entry = AuditEntry.objects.get(action="retention.hold_released")
    assert entry.actor_id == admin_user.pk and entry.subject_id == client_a.pk
    assert entry.detail["reason"] == "Case closed by the court"
    hold.refresh_from_db()
    assert hold.released_by == admin_user and hold.released_at is not None
    assert retention_duties(client=client_a)[1] == []
