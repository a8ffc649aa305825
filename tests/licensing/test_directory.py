"""The public directory and profiles, and who a client may book where they are."""

import html
import json
import re
from datetime import timedelta

import pytest
from django.db.models import Exists, OuterRef

from counseling.models import CounselorProfile, Role, User
from identity.selectors import intake_place as client_current_location
from licensing.models import CompactPrivilege, Jurisdiction, LapseNotice, Licence, LicenceState
from licensing.selectors import (
    _privilege_refusal,
    directory_cards,
    directory_entries,
    jurisdiction_gate,
    jurisdiction_table,
)
from tests.conftest import make_counselor
from tests.licensing.factories import NOON, TODAY, body, compact, licence, licensed_in_indonesia, place, privilege

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(counselor_a, counselor_b, admin_user):
    """counselor_a: verified STR and SIPPK for Indonesia; counselor_b: verified Texas LPC + a Kansas privilege;
    a third counselor with only a submitted licence (not listed)."""
    licence(counselor_a, "ID", number="STR-A")
    licence(counselor_a, "ID-YO", kind="sippk", number="SIPPK-A")
    tx = licence(
        counselor_b,
        "US-TX",
        kind="us_lpc",
        number="LPC-B",
        issuing_body=body(
            "Texas Behavioral Health Executive Council", "US", "https://bhec.texas.gov/verify-a-license/"
        ),
    )
    co = licence(counselor_b, "US-CO", kind="us_lpc", number="LPC-B-CO")
    privilege(co, "US-KS", agreement=compact("US-CO", "US-KS"), recorded_by=admin_user)
    pending = make_counselor("pending@staff.test", "Pending Counselor")
    licence(pending, "ID", state=LicenceState.SUBMITTED, number="STR-PENDING")
    return {"tx": tx}


def cards(response) -> str:
    return response.content.decode()


def test_anyone_can_browse_counselors_with_a_verified_licence(client, cast):
    page = cards(client.get("/licensing/counselors/"))
    assert "Counselor A" in page and "Counselor B" in page
    assert "Pending Counselor" not in page
    assert "Available where you are" not in page  # no place known: nobody marked bookable


def test_a_chosen_place_marks_who_may_counsel_there_and_why_not(client, client_a, cast):
    client.force_login(client_a)
    page = cards(client.get("/licensing/counselors/?country=ID&region=ID-JK"))
    assert "Available where you are" in page
    assert "Not available where you are" in page
    assert "holds no licence for the place where you are" in page
    assert page.index("Counselor A") < page.index("Counselor B"), "bookable counselors come first"


def test_the_place_chosen_is_remembered_for_the_visit(client, client_a, cast):
    client.force_login(client_a)
    client.get("/licensing/counselors/?place=US-KS")
    page = cards(client.get("/licensing/counselors/"))
    assert "Showing who may counsel you in" in page
    b_start = page.index("Counselor B")
    assert "Available where you are" in page[b_start : b_start + 1500]


def test_an_unknown_place_is_ignored(client, cast):
    page = cards(client.get("/licensing/counselors/?country=ZZ&region=ZZ-99"))
    assert "Showing who may counsel you" not in page


def test_an_expired_licence_shows_its_reason_in_the_directory(client, client_a, counselor_a, cast):
    licence(
        counselor_a,
        "US-TX",
        kind="us_lpc",
        number="OLD-TX",
        expires_on=TODAY - timedelta(days=3),
        state=LicenceState.EXPIRED,
    )
    client.force_login(client_a)
    page = cards(client.get("/licensing/counselors/?place=US-TX"))
    assert "licence for the place where you are has expired" in page


def test_the_intake_location_is_used_when_the_client_chose_none(client, client_a, cast):
    from counseling.crypto import seal
    from identity.models import Intake

    answers = json.dumps({"country": "US", "region": "US-TX", "legal_name": "A"})  # as identity.services keeps it
    Intake.objects.create(
        client=client_a, answers_sealed=seal(owner_id=client_a.pk, plaintext=answers, context=f"intake:{client_a.pk}")
    )
    assert client_current_location(client=client_a) == ("US", "US-TX")
    client.force_login(client_a)
    page = cards(client.get("/licensing/counselors/"))
    assert "From your intake" in page
    b_start = page.index("Counselor B")
    assert "Available where you are" in page[b_start : b_start + 1500]


def test_without_an_intake_the_location_is_unknown(client_a):
    assert client_current_location(client=client_a) == ("", "")


def test_profile_shows_credentials_issuing_body_languages_and_promise(client, counselor_b, cast):
    profile = CounselorProfile.objects.get(user=counselor_b)
    profile.languages, profile.time_zone, profile.response_time_promise_hours = "en,id", "America/Chicago", 12
    profile.save()
    page = cards(client.get(f"/licensing/counselors/{counselor_b.pk}/"))
    assert "LPC-B" in page
    assert "Texas Behavioral Health Executive Council" in page
    assert 'href="https://bhec.texas.gov/verify-a-license/"' in page
    assert "Kansas" in page or "US-KS" in page  # the compact privilege
    assert "English, Indonesian" in page and "America/Chicago" in page and "12 hours" in page


def test_profile_never_shows_unverified_licences(client, counselor_a, cast):
    licence(counselor_a, "ID-JK", kind="silp", number="SILP-PENDING", state=LicenceState.SUBMITTED)
    page = cards(client.get(f"/licensing/counselors/{counselor_a.pk}/"))
    assert "STR-A" in page and "SILP-PENDING" not in page


def test_profile_says_why_not_for_a_client_elsewhere(client, client_a, counselor_a, cast):
    client.force_login(client_a)
    page = cards(client.get(f"/licensing/counselors/{counselor_a.pk}/?place=US-TX"))
    assert "Not available where you are" in page


def test_profile_url_name_takes_the_counselors_user_id(counselor_a):
    from django.urls import reverse

    assert reverse("licensing:counselor_profile", args=[counselor_a.pk]) == f"/licensing/counselors/{counselor_a.pk}/"


def test_profiles_of_clients_admins_or_nobody_are_404(client, client_a, admin_user):
    for user_id in (client_a.pk, admin_user.pk, 987654):
        assert client.get(f"/licensing/counselors/{user_id}/").status_code == 404


def test_a_client_sees_and_dismisses_a_lapse_notice(client, client_a, counselor_a, cast):
    row = licence(counselor_a, "ID-YO", kind="silp", state=LicenceState.EXPIRED)
    notice = LapseNotice.objects.create(client=client_a, counselor=counselor_a, licence=row)
    client.force_login(client_a)
    assert "may no longer counsel you" in cards(client.get("/licensing/counselors/"))
    client.post(f"/licensing/notices/{notice.pk}/dismiss/")
    assert "may no longer counsel you" not in cards(client.get("/licensing/counselors/"))


def test_nobody_else_can_dismiss_a_clients_notice(client, staff_login, client_a, client_b, counselor_a, cast):
    row = licence(counselor_a, "ID-YO", kind="silp", state=LicenceState.EXPIRED)
    notice = LapseNotice.objects.create(client=client_a, counselor=counselor_a, licence=row)
    client.force_login(client_b)
    client.post(f"/licensing/notices/{notice.pk}/dismiss/")
    notice.refresh_from_db()
    assert notice.dismissed_at is None
    staff_login(client, counselor_a)
    assert client.post(f"/licensing/notices/{notice.pk}/dismiss/").status_code == 403
    client.logout()
    assert client.post(f"/licensing/notices/{notice.pk}/dismiss/")["Location"].startswith("/accounts/login/")
    assert client.get(f"/licensing/notices/{notice.pk}/dismiss/").status_code in (302, 405)
    notice.refresh_from_db()
    assert notice.dismissed_at is None


def test_a_client_where_the_counselor_is_licensed_gets_the_book_button(client, client_a, counselor_a, cast):
    from django.urls import reverse

    booking = reverse("sessions:booking_slots", args=[counselor_a.pk])
    client.force_login(client_a)
    assert f'href="{booking}"' in cards(client.get(f"/licensing/counselors/{counselor_a.pk}/?place=ID-JK"))
    assert f'href="{booking}"' not in cards(client.get(f"/licensing/counselors/{counselor_a.pk}/?place=US-TX"))


def test_the_directory_costs_the_same_few_queries_for_any_number_of_counselors(
    django_assert_max_num_queries, admin_user
):

    agreement = compact("US-CO", "US-KS")
    for i in range(30):
        counselor = make_counselor(f"c{i}@staff.test", f"C{i:02}")
        if i % 3 == 0:
            licence(counselor, "ID", number=f"STR-{i}")
        elif i % 3 == 1:
            licence(counselor, "US-TX", kind="us_lpc", number=f"LPC-{i}", state=LicenceState.SUSPENDED)
            licence(counselor, "US-CA", kind="us_lpc", number=f"LPC-CA-{i}")
        else:
            home = licence(counselor, "US-CO", kind="us_lpc", number=f"LPC-CO-{i}")
            privilege(home, "US-KS", agreement=agreement, recorded_by=admin_user)
    # Licences, jurisdictions, profiles, privileges and their agreements' members, rules and their credentials.
    with django_assert_max_num_queries(7):
        entries = directory_entries(at=NOON, country="US", region="US-KS")
    assert len(entries) == 30
    assert sum(e.bookable for e in entries) == 10


@pytest.mark.parametrize("where", [("ID", "ID-JK"), ("US", "US-TX"), ("US", "US-KS"), ("US", "US-CA"), ("FR", "")])
def test_the_directory_answers_exactly_as_the_gate_does(cast, counselor_a, counselor_b, where):
    from licensing.selectors import directory_entries, jurisdiction_gate

    licence(counselor_b, "US-CA", kind="us_lpc", number="LPC-CA", state=LicenceState.SUSPENDED)
    licence(counselor_a, "US-TX", kind="us_lpc", number="OLD-TX", state=LicenceState.EXPIRED)
    country, region = where
    entries = directory_entries(at=NOON, country=country, region=region)
    assert {entry.counselor_id for entry in entries} == {counselor_a.pk, counselor_b.pk}
    for entry in entries:
        counselor = User.objects.get(pk=entry.counselor_id)
        assert entry.gate == jurisdiction_gate(counselor=counselor, country=country, region=region, at=NOON)


@pytest.mark.parametrize("where", [("ID", "ID-JK"), ("ID", "ID-YO"), ("US", "US-TX"), ("US", "US-KS"), ("US", "")])
def test_counselors_with_alike_licences_are_decided_as_the_gate_decides_each(admin_user, where):
    """The directory decides counselors whose licences agree once; each answer must still be the gate's own."""
    from licensing.selectors import directory_entries, jurisdiction_gate

    agreement = compact("US-CO", "US-KS")
    states = [LicenceState.VERIFIED, LicenceState.SUSPENDED, LicenceState.EXPIRED, LicenceState.SUBMITTED]
    for i in range(24):
        counselor = make_counselor(f"alike{i}@staff.test", f"Alike {i:02}")
        licence(counselor, "ID", number=f"STR-{i}")  # every one listed
        if i % 2:
            licence(counselor, "ID-YO", kind="sippk", number=f"SIPPK-{i}", state=states[i % 4])
        if i % 3 == 0:
            licence(counselor, "ID-JK", kind="silp", number=f"SILP-{i}", expires_on=TODAY - timedelta(days=i + 1))
        if i % 4 == 1:
            licence(counselor, "US-TX", kind="us_lpc", number=f"LPC-TX-{i}", valid_from=TODAY + timedelta(days=i))
        if i % 5 < 2:
            home = licence(counselor, "US-CO", kind="us_lpc", number=f"LPC-CO-{i}", state=states[i % 2])
            granted = privilege(home, "US-KS", agreement=agreement, recorded_by=admin_user)
            if i % 5 == 1:
                CompactPrivilege.objects.filter(pk=granted.pk).update(revoked_at=NOON - timedelta(days=1))
    country, region = where
    entries = directory_entries(at=NOON, country=country, region=region)
    assert len(entries) == 24
    for entry in entries:
        counselor = User.objects.get(pk=entry.counselor_id)
        assert entry.gate == jurisdiction_gate(counselor=counselor, country=country, region=region, at=NOON)
    ranks = [(not entry.bookable, entry.name.lower()) for entry in entries]
    assert ranks == sorted(ranks)


def _shown(page: str) -> list[str]:
    """The counselors' names on a directory page, in the order shown."""
    return re.findall(r'<h2><a href="/licensing/counselors/\d+/">([^<]+)</a></h2>', page)


def test_every_page_ranks_bookable_counselors_first_and_decides_them_as_the_gate_does(
    client, client_a, admin_user, settings
):
    """Only the page shown gets its cards filled in: a counselor on a later page must be ranked, decided and
    described exactly as on the first."""
    from counseling.clock import now
    from licensing.selectors import jurisdiction_gate

    settings.DIRECTORY_PAGE_SIZE = 2
    # Alphabetically first, but not bookable in Jakarta: must come after every bookable counselor.
    texan = make_counselor("texan@staff.test", "Aaron Texas")
    licence(texan, "US-TX", kind="us_lpc", number="LPC-AARON")
    bookable = []
    for name in ("Dewi", "Budi", "Citra"):
        counselor = make_counselor(f"{name.lower()}@staff.test", name)
        licensed_in_indonesia(counselor)
        bookable.append(counselor)
    licence(bookable[0], "US-TX", kind="us_lpc", number="LPC-DEWI")
    licence(bookable[0], "ID-JK", kind="silp", number="SILP-OLD", expires_on=TODAY - timedelta(days=400))
    home = licence(bookable[0], "US-CO", kind="us_lpc", number="LPC-DEWI-CO")
    privilege(home, "US-KS", agreement=compact("US-CO", "US-KS"), recorded_by=admin_user)
    client.force_login(client_a)
    pages = [cards(client.get("/licensing/counselors/", {"place": "ID-JK", "page": n})) for n in (1, 2)]
    assert [_shown(page) for page in pages] == [["Budi", "Citra"], ["Dewi", "Aaron Texas"]]
    second = pages[1]
    dewi, aaron = second.index(">Dewi</a>"), second.index(">Aaron Texas</a>")
    dewi_card, aaron_card = second[dewi:aaron], second[aaron:]
    assert "Available where you are" in dewi_card and "Not available where you are" not in dewi_card
    # Her valid licences (by country, kind, then place) and her privilege, and not the licence that expired.
    name = {row.code: row.name for row in Jurisdiction.objects.all()}
    licensed = f"{name['ID-YO']}, {name['ID']}, {name['US-CO']}, {name['US-TX']}, {name['US-KS']} (compact privilege)"
    assert re.search(r"Licensed in:\s*" + re.escape(html.escape(licensed)) + "</p>", dewi_card)
    assert html.escape(name["ID-JK"]) not in dewi_card
    refusal = jurisdiction_gate(counselor=texan, country="ID", region="ID-JK", at=now())
    assert not refusal and "Not available where you are" in aaron_card
    assert html.escape(refusal.message) in aaron_card
    for counselor in [*bookable, texan]:
        assert f'data-counselor="{counselor.pk}"' in "".join(pages)


def test_the_directory_reads_the_jurisdictions_once(client, client_a, cast):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(client_a)
    with CaptureQueriesContext(connection) as queries:
        page = cards(client.get("/licensing/counselors/", {"place": "ID-JK"}))
    assert "Showing who may counsel you in DKI Jakarta." in page
    # The place's check (valid_jurisdiction), then one read for the gate, the heading and the place menu.
    read = [query["sql"] for query in queries.captured_queries]
    # (the compact agreements' members are jurisdictions too, read with a join)
    alone = [sql for sql in read if 'FROM "licensing_jurisdiction"' in sql and "JOIN" not in sql]
    assert len(alone) == 2, alone
    assert '<option value="ID-JK" selected>DKI Jakarta (ID-JK)</option>' in page


def test_a_region_not_in_the_table_keeps_its_heading_and_the_gates_own_place_name(client, client_a, counselor_b, cast):
    from counseling.clock import now
    from licensing.selectors import jurisdiction_gate

    assert not Jurisdiction.objects.filter(region="ID-ZZ").exists()
    client.force_login(client_a)
    page = cards(client.get("/licensing/counselors/", {"place": "ID-ZZ"}))
    assert "Showing who may counsel you in ID-ZZ." in page  # the view's name: the region's code
    refusal = jurisdiction_gate(counselor=counselor_b, country="ID", region="ID-ZZ", at=now())
    assert not refusal and html.escape(refusal.message) in page  # the gate's: the country's name
    assert "ID-ZZ" not in refusal.message


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_filters_selects_render_as_their_widgets_do(language):
    from django.utils import translation

    from licensing.forms import DirectoryFilterForm
    from licensing.templatetags.licensing_tags import select_field

    specialities = ["Grief & loss", "<b>Trauma</b>", 'Say "hi"', "anxiety", "Anxiety"]
    with translation.override(language):
        for data in (
            None,
            {},
            {"language": "en", "speciality": "Grief & loss"},
            {"speciality": "<b>Trauma</b>"},
            {"free_within": "7"},
            {"language": "xx"},
        ):
            form = DirectoryFilterForm(data, specialities=specialities)
            for field in form:
                assert select_field(field) == str(field)
    assert 'aria-invalid="true"' in select_field(DirectoryFilterForm({"language": "xx"})["language"])


def _cards_of(entries):

    directory_cards(entries)
    return {entry.counselor_id: entry for entry in entries}


@pytest.mark.parametrize("where", [("ID", "ID-JK"), ("US", "US-KS"), ("", "")])
def test_every_card_shows_the_valid_licences_and_privileges_a_query_of_its_own_reads(admin_user, where):
    """directory_entries reads every licence at once, as values; directory_cards must still show each counselor
    what their own rows say, in the database's order (country, kind, region, id), and their compact privileges, the
    revoked, expired or unverified ones left out."""

    agreement = compact("US-CO", "US-KS", "US-TX")
    for i in range(9):
        counselor = make_counselor(f"mix{i}@staff.test", f"Mix {i}")
        licence(counselor, "ID", number=f"STR-{i}")
        licence(counselor, "ID-YO" if i % 2 else "ID-JK", kind="sippk", number=f"SIPPK-{i}")
        state = LicenceState.SUBMITTED if i % 2 else LicenceState.VERIFIED
        licence(counselor, "ID-JB", kind="sippk", number=f"SIPPK-JB-{i}", state=state)
        licence(counselor, "US-TX", kind="us_lpc", number=f"LPC-TX-{i}", expires_on=TODAY - timedelta(days=i % 2))
        if i % 3:
            home = licence(counselor, "US-CO", kind="us_lpc", number=f"LPC-CO-{i}", state=LicenceState.VERIFIED)
            granted = privilege(home, "US-KS", agreement=agreement, recorded_by=admin_user)
            privilege(home, "US-TX", agreement=agreement, recorded_by=admin_user)
            if i % 3 == 2:
                CompactPrivilege.objects.filter(pk=granted.pk).update(revoked_at=NOON - timedelta(days=1))
        if i % 4 == 0:
            licence(counselor, "US-CA", kind="us_lpc", number=f"LPC-CA-{i}", state=LicenceState.SUSPENDED)
            licence(counselor, "ID-JK", kind="sippk", number=f"SIPPK-AGAIN-{i}")  # ties on all but the id
    country, region = where
    entries = directory_entries(at=NOON, country=country, region=region)
    assert len(entries) == 9
    shown = _cards_of(entries)
    day = NOON.date()
    for counselor_id, entry in shown.items():
        places = (
            Licence.objects.filter(counselor_id=counselor_id, state=LicenceState.VERIFIED)
            .filter(valid_from__lte=day, expires_on__gte=day)
            .order_by("jurisdiction__country", "kind", "jurisdiction__region", "pk")
            .values_list("jurisdiction__name", flat=True)
        )
        assert entry.licence_places == list(places)
        held = CompactPrivilege.objects.filter(counselor_id=counselor_id).select_related(
            "jurisdiction", "agreement", "home_licence"
        )
        assert [p.pk for p in entry.privileges] == [p.pk for p in held if not _privilege_refusal(p, day)]


def test_a_jurisdiction_missing_from_the_table_given_is_read_again(client_a, counselor_a, cast):
    """A jurisdiction added after the request read the table (a licence there): the table is read again, never a
    licence left out or a place misnamed."""

    table = jurisdiction_table()
    place("ID-ZZ", "Pulau Zed")  # a jurisdiction the table does not hold
    licence(counselor_a, "ID-ZZ", kind="sippk", number="SIPPK-ZED")
    assert not any(row.region == "ID-ZZ" for row in table)
    for country, region in (("ID", "ID-ZZ"), ("", "")):
        entries = directory_entries(at=NOON, country=country, region=region, jurisdictions=table)
        shown = _cards_of(entries)
        assert "Pulau Zed" in shown[counselor_a.pk].licence_places
        if country:
            assert shown[counselor_a.pk].gate == jurisdiction_gate(
                counselor=counselor_a, country=country, region=region, at=NOON
            )


def test_a_cards_privileges_come_in_their_default_order_with_their_places_named(counselor_a, admin_user):
    """directory_entries reads the privileges without their jurisdictions (the table's stand in, read again when
    it lacks one) and orders them itself: as CompactPrivilege's default order (its jurisdiction's country, then
    region), whatever order they were recorded in, and a gate that counts one, as jurisdiction_gate decides."""

    table = jurisdiction_table()
    place("US-ZZ", "Zed State")  # a member the table does not hold
    agreement = compact("US-CO", "US-KS", "US-TX", "US-ZZ", "US-AL")
    home = licence(counselor_a, "US-CO", kind="us_lpc", number="LPC-CO")
    for code in ("US-ZZ", "US-TX", "US-AL", "US-KS"):
        privilege(home, code, agreement=agreement, recorded_by=admin_user)
    default_order = CompactPrivilege.objects.filter(counselor=counselor_a).select_related("jurisdiction")
    assert [p.jurisdiction.region for p in default_order] == ["US-AL", "US-KS", "US-TX", "US-ZZ"]
    expected = [p.jurisdiction.name for p in default_order]
    assert expected[-1] == "Zed State"
    for country, region in (("US", "US-ZZ"), ("US", "US-AL"), ("", "")):
        entries = directory_entries(at=NOON, country=country, region=region, jurisdictions=table)
        entry = _cards_of(entries)[counselor_a.pk]
        assert [p.jurisdiction.name for p in entry.privileges] == expected
        assert all(p.home_licence.jurisdiction.code == "US-CO" for p in entry.privileges)
        if country:
            gate = jurisdiction_gate(counselor=counselor_a, country=country, region=region, at=NOON)
            assert entry.gate == gate


def test_the_directory_lists_exactly_the_active_counselors_with_a_licence_valid_that_day():
    """Listed is decided from the licences read for the gate and the cards: it must be whom a query for a verified
    licence valid on the day would list, never a counselor whose every licence lapsed, waits or is not valid yet."""

    expiring = [
        {"expires_on": TODAY},  # its last day: valid
        {"expires_on": TODAY - timedelta(days=1)},
        {"valid_from": TODAY},  # its first day: valid
        {"valid_from": TODAY + timedelta(days=1)},
        {"state": LicenceState.SUSPENDED},
        {"state": LicenceState.SUBMITTED},
        {"state": LicenceState.EXPIRED},
    ]
    for i, terms in enumerate(expiring):
        counselor = make_counselor(f"only{i}@staff.test", f"Only {i}")
        licence(counselor, "ID", number=f"STR-ONLY-{i}", **terms)
        both = make_counselor(f"both{i}@staff.test", f"Both {i}")
        licence(both, "ID", number=f"STR-BOTH-{i}", **terms)
        licence(both, "US-TX", kind="us_lpc", number=f"LPC-BOTH-{i}")
    gone = make_counselor("gone@staff.test", "Gone")
    licence(gone, "ID", number="STR-GONE")
    User.objects.filter(pk=gone.pk).update(is_active=False)
    make_counselor("unlicensed@staff.test", "Unlicensed")
    valid = Licence.objects.filter(
        state=LicenceState.VERIFIED, valid_from__lte=TODAY, expires_on__gte=TODAY, counselor_id=OuterRef("user_id")
    )
    expected = CounselorProfile.objects.filter(Exists(valid), user__role=Role.COUNSELOR, user__is_active=True)
    expected = list(expected.order_by("display_name", "user_id").values_list("user_id", flat=True))
    for country in ("", "ID"):
        entries = directory_entries(at=NOON, country=country, region="")
        assert sorted(entry.counselor_id for entry in entries) == sorted(expected)
        assert {entry.name for entry in entries} >= {"Only 0", "Only 2", *(f"Both {i}" for i in range(7))}
        assert not {entry.name for entry in entries} & {"Only 1", "Only 3", "Only 4", "Only 5", "Only 6", "Gone"}


def _intake(client_user, **answers):
    from counseling.crypto import seal
    from identity.models import Intake

    Intake.objects.create(
        client=client_user,
        answers_sealed=seal(owner_id=client_user.pk, plaintext=json.dumps(answers), context=f"intake:{client_user.pk}"),
    )


@pytest.mark.parametrize("intake", [True, False])
@pytest.mark.parametrize("place", ["", "ID-JK"])
def test_a_clients_times_are_shown_in_their_own_zone_read_with_their_intake(client, client_a, cast, intake, place):
    """The directory reads a client's time zone with their intake (one query): with or without an intake, and
    with a place chosen (the intake's place then unused), the zone is their profile's."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client_a.client_profile.time_zone = "America/Chicago"
    client_a.client_profile.save()
    if intake:
        _intake(client_a, country="US", region="US-TX")
    client.force_login(client_a)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/licensing/counselors/", {"place": place} if place else {})
    assert response.context["zone"] == "America/Chicago"
    assert response.context["location_source"] == ("chosen" if place else "intake" if intake else "")
    profile_reads = [q["sql"] for q in queries.captured_queries if 'FROM "counseling_clientprofile"' in q["sql"]]
    # Read with the intake; a client without one has their profile read on its own.
    assert len(profile_reads) == (0 if intake else 1), profile_reads


def test_a_visitors_times_are_shown_in_utc(client, cast):
    assert client.get("/licensing/counselors/").context["zone"] == "UTC"


def test_a_client_without_notices_pays_no_join_for_them(client, client_a, counselor_a, cast):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    LapseNotice.objects.create(
        client=client_a,
        counselor=counselor_a,
        licence=licence(counselor_a, "ID-YO", kind="silp", state=LicenceState.EXPIRED),
        dismissed_at=NOON,
    )
    client.force_login(client_a)
    with CaptureQueriesContext(connection) as queries:
        page = cards(client.get("/licensing/counselors/"))
    assert "may no longer counsel you" not in page  # dismissed
    notice_reads = [q["sql"] for q in queries.captured_queries if 'FROM "licensing_lapsenotice"' in q["sql"]]
    assert len(notice_reads) == 1 and "JOIN" not in notice_reads[0], notice_reads


def test_a_cards_counselor_and_profile_come_with_the_entries_and_read_the_rest_when_asked(
    django_assert_num_queries, counselor_a, counselor_b, cast
):
    """directory_cards and directory_next_free make each counselor and profile from the row directory_entries read:
    no query of their own, the same values a query reads, and any other field read when asked for, never wrong."""
    counselor_b.counselor_profile.professional_title = "Licensed Professional Counselor"
    counselor_b.counselor_profile.time_zone = "America/Chicago"
    counselor_b.counselor_profile.save()
    entries = directory_entries(at=NOON)
    with django_assert_num_queries(0):
        directory_cards(entries)
    for entry in entries:
        stored = CounselorProfile.objects.select_related("user").get(user_id=entry.counselor_id)
        with django_assert_num_queries(0):
            made = entry.counselor.counselor_profile
            assert made.user is entry.counselor and entry.profile is made
            assert (made.pk, made.user_id, made.display_name, made.professional_title, made.time_zone) == (
                stored.pk,
                stored.user_id,
                stored.display_name,
                stored.professional_title,
                stored.time_zone,
            )
            assert made.language_codes == stored.language_codes and made.speciality_list == stored.speciality_list
        with django_assert_num_queries(1):  # deferred: read when asked for
            assert entry.counselor.email == stored.user.email
    assert {entry.counselor_id: entry.profile.time_zone for entry in entries}[counselor_b.pk] == "America/Chicago"


@pytest.mark.parametrize("members", [(), ("US-KS",), ("US-CO",), ("US-CO", "US-KS")])
def test_a_privilege_counts_in_the_directory_only_where_its_agreement_has_both_places_as_the_gate_decides(
    counselor_a, admin_user, members
):
    """directory_entries reads a privilege's agreement members as plain values (a row each, none without any): a
    privilege counts only when its agreement has both its home licence's place and its own, as _privilege_refusal
    decides for the model and jurisdiction_gate for one counselor."""
    agreement = compact()
    agreement.members.set([place(code) for code in members])
    home = licence(counselor_a, "US-CO", kind="us_lpc", number="LPC-CO")
    privilege(home, "US-KS", agreement=agreement, recorded_by=admin_user)
    counted = set(members) == {"US-CO", "US-KS"}
    day = NOON.date()
    held = CompactPrivilege.objects.filter(counselor=counselor_a)
    assert [not _privilege_refusal(p, day) for p in held] == [counted]
    for country, region in (("US", "US-KS"), ("US", "US-CO"), ("", "")):
        entry = _cards_of(directory_entries(at=NOON, country=country, region=region))[counselor_a.pk]
        assert [p.jurisdiction.code for p in entry.privileges] == (["US-KS"] if counted else [])
        if country:
            gate = jurisdiction_gate(counselor=counselor_a, country=country, region=region, at=NOON)
            assert entry.gate == gate
            assert bool(gate) == (region == "US-CO" or counted)


def test_the_jurisdiction_table_reads_every_jurisdiction_in_the_models_order_with_its_code_and_cover():
    """jurisdiction_table composes its own statement: the rows, in the order, the ORM's default order gives, and
    each row's code and covers as the model's."""
    for code in ("US-TX", "ID-YO", "US", "ID", "ID-JK", "AU", "US-AL"):
        place(code, f"Place {code}")
    models = list(Jurisdiction.objects.all())
    table = jurisdiction_table()
    assert [(row.pk, row.country, row.region, row.name) for row in table] == [
        (row.pk, row.country, row.region, row.name) for row in models
    ]
    for row, model in zip(table, models, strict=True):
        assert row.code == model.code
        for country, region in (("ID", ""), ("ID", "ID-YO"), ("US", "US-TX"), ("us", "us-tx"), ("AU", "")):
            assert row.covers(country=country, region=region) == model.covers(country=country, region=region)


def test_the_jurisdiction_table_keeps_its_statement_not_its_rows():
    """The statement is composed once per process; each read runs it: a jurisdiction added since is read."""
    place("ID", "Indonesia")
    before = [row.code for row in jurisdiction_table()]
    place("XQ", "A place added since")
    after = [row.code for row in jurisdiction_table()]
    assert "XQ" not in before and after == [row.code for row in Jurisdiction.objects.all()]
    assert sorted(after) == sorted([*before, "XQ"])


def test_the_directory_reads_its_rows_anew_with_statements_composed_once(cast, admin_user):
    """directory_entries keeps its statements, never their rows: a counselor licensed, a privilege recorded and a
    counselor deactivated since the last read are each seen by the next."""
    directory_entries(at=NOON, country="US", region="US-KS")
    later = make_counselor("later@staff.test", "Later Counselor")
    licence(later, "ID", number="STR-LATER")
    home = licence(later, "US-TX", kind="us_lpc", number="LPC-LATER", issuing_body=body("Board", "US", "https://b.us/"))
    privilege(home, "US-KS", agreement=compact("US-TX", "US-KS"), recorded_by=admin_user)
    entries = _cards_of(directory_entries(at=NOON, country="US", region="US-KS"))
    assert [p.jurisdiction.code for p in entries[later.pk].privileges] == ["US-KS"]
    User.objects.filter(pk=later.pk).update(is_active=False)
    assert later.pk not in {entry.counselor_id for entry in directory_entries(at=NOON)}
