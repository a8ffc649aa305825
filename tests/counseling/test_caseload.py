"""The counselor's caseload dashboard: own clients only, by pseudonym, with what needs attention."""

import re
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.paginator import Paginator
from django.db import connection
from django.template import engines
from django.test.utils import CaptureQueriesContext

from counseling.clock import now
from counseling.gates import GateResult
from counseling.models import ClientProfile, Role, User
from counseling.templatetags import fixed_text
from sessions.models import Conversation, CounselingSession, Message

pytestmark = pytest.mark.django_db


def book(client, counselor, *, days: float, state="scheduled") -> CounselingSession:
    start = now().replace(microsecond=0) + timedelta(days=days)
    return CounselingSession.objects.create(
        client=client, counselor=counselor, starts_at=start, ends_at=start + timedelta(minutes=50), state=state
    )


def message(conversation, sender, *, read=False, seq=None, at=None) -> Message:
    seq = seq or (conversation.messages.count() + 1)
    return Message.objects.create(
        conversation=conversation,
        sender=sender,
        seq=seq,
        client_msg_id=uuid.uuid4(),
        body_sealed=b"sealed",
        read_at=now() if read else None,
        created_at=at or now(),
    )


@pytest.fixture
def caseload_page(client, counselor_a, staff_login):
    staff_login(client, counselor_a)

    def get(query=""):
        response = client.get("/counselor/" + query)
        assert response.status_code == 200
        return response.content.decode()

    return get


def test_counselor_sees_own_clients_by_pseudonym_and_never_another_counselors(
    caseload_page, client_a, client_b, counselor_a, counselor_b
):
    book(client_a, counselor_a, days=2)
    book(client_b, counselor_b, days=2)
    page = caseload_page()
    assert "Client A" in page
    assert "Client B" not in page
    assert client_a.email not in page  # the pseudonym, not the account


def test_each_row_shows_next_session_unread_messages_risk_flags_and_last_contact(caseload_page, client_a, counselor_a):
    from crisis.models import Escalation

    book(client_a, counselor_a, days=-7, state="completed")
    upcoming = book(client_a, counselor_a, days=3)
    conversation = Conversation.objects.create(client=client_a, counselor=counselor_a)
    message(conversation, client_a, read=True)
    message(conversation, client_a)
    message(conversation, client_a)
    message(conversation, counselor_a)  # the counselor's own message is never "unread" for them
    for key, state in (("a", "open"), ("b", "acknowledged"), ("c", "resolved")):
        Escalation.objects.create(
            client=client_a,
            counselor=counselor_a,
            kind="help_button",
            severity=3,
            dedupe_key=f"test:{key}",
            state=state,
        )
    page = caseload_page()
    row = page[page.index('class="caseload-row') :]
    row = row[: row.index("</tr>")]
    assert f"/sessions/{upcoming.pk}/" in row
    assert '<span class="badge warn">2</span>' in row  # unread
    assert '<span class="badge bad">2</span>' in row  # open or acknowledged, not resolved
    assert now().strftime("%Y") in row  # last contact: today's messages


def test_consent_and_identity_status_come_from_the_gates(caseload_page, client_a, counselor_a, monkeypatch):
    book(client_a, counselor_a, days=2)
    monkeypatch.setattr(
        "dashboards.selectors.consent_gates", lambda *, clients, **kw: {c.pk: GateResult.ok() for c in clients}
    )
    monkeypatch.setattr(
        "dashboards.selectors.identity_gates",
        lambda *, clients, **kw: {
            c.pk: GateResult.refuse("identity_unverified", "Waiting for review.") for c in clients
        },
    )
    page = caseload_page()
    assert "current" in page and "not verified" in page and "Waiting for review." in page


def test_search_and_filters_narrow_the_list(caseload_page, counselor_a, client_a, client_b):
    book(client_a, counselor_a, days=2)
    book(client_b, counselor_a, days=-3, state="completed")
    conversation = Conversation.objects.create(client=client_b, counselor=counselor_a)
    message(conversation, client_b)
    assert "Client A" in caseload_page("?q=client+a") and "Client B" not in caseload_page("?q=client+a")
    upcoming = caseload_page("?show=upcoming")
    assert "Client A" in upcoming and "Client B" not in upcoming
    unread = caseload_page("?show=unread")
    assert "Client B" in unread and "Client A" not in unread
    assert "No client matches." in caseload_page("?show=risk")


def test_a_filtered_caseload_reads_no_notes_panel_it_does_not_show(caseload_page, counselor_a, client_a):
    book(client_a, counselor_a, days=-3, state="completed")  # a held session without a note: the panel lists it
    caseload_page()  # warm up caches (content types, sessions)

    def notes_queries(query: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            page = caseload_page(query)
        assert "Client A" in page
        return sum("clinical_progressnote" in q["sql"] or "clinical_recordrequest" in q["sql"] for q in queries)

    assert notes_queries("") == 2  # the unsigned notes, the record requests
    assert notes_queries("?q=client") == 0


def test_the_caseload_page_costs_the_same_queries_for_10_and_1000_clients(client, counselor_a, staff_login, settings):
    """Rows are annotated in one query; the gates run once per visible row, and a page holds ten."""
    settings.CASELOAD_PAGE_SIZE = 10
    staff_login(client, counselor_a)

    def add_clients(count: int, offset: int) -> None:
        users = User.objects.bulk_create(
            [User(email=f"bulk{offset + i}@clients.test", role=Role.CLIENT, password="!") for i in range(count)]
        )
        ClientProfile.objects.bulk_create(
            [ClientProfile(user=u, display_name=f"Bulk {offset + i:04d}") for i, u in enumerate(users)]
        )
        start = now().replace(minute=0, second=0, microsecond=0)
        CounselingSession.objects.bulk_create(
            [
                CounselingSession(
                    client=u,
                    counselor=counselor_a,
                    starts_at=start + timedelta(hours=offset + i + 1),
                    ends_at=start + timedelta(hours=offset + i + 1, minutes=50),
                )
                for i, u in enumerate(users)
            ]
        )
        conversations = Conversation.objects.bulk_create([Conversation(client=u, counselor=counselor_a) for u in users])
        Message.objects.bulk_create(
            [
                Message(conversation=c, sender_id=c.client_id, seq=1, client_msg_id=uuid.uuid4(), body_sealed=b"x")
                for c in conversations
            ]
        )

    def measure() -> int:
        client.get("/counselor/")  # warm up caches (content types, sessions)
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/counselor/")
        assert response.status_code == 200
        return len(queries)

    add_clients(10, 0)
    small = measure()
    add_clients(990, 10)
    assert CounselingSession.objects.filter(counselor=counselor_a).count() == 1000
    large = measure()
    print(f"caseload page: {small} queries with 10 clients, {large} with 1,000")
    assert small == large, f"10 clients: {small} queries; 1,000 clients: {large}"
    assert "Page 1 of 100" in client.get("/counselor/").content.decode()


def test_a_counselor_cannot_open_another_counselors_client(client, counselor_a, counselor_b, client_a, staff_login):
    book(client_a, counselor_b, days=2)
    staff_login(client, counselor_a)
    assert client.get(f"/sessions/clients/{client_a.pk}/").status_code == 404
    assert client.get(f"/sessions/clients/{counselor_b.pk}/").status_code == 404


def test_the_caseload_is_for_counselors_only(client, client_a, admin_user, staff_login):
    assert client.get("/counselor/").status_code == 302  # anonymous: to login
    client.force_login(client_a)
    assert client.get("/counselor/").status_code == 403
    assert client.get(f"/sessions/clients/{client_a.pk}/").status_code == 403
    staff_login(client, admin_user)
    assert client.get("/counselor/").status_code == 403


def test_a_client_with_a_session_opens_to_their_counselor_with_sessions_and_referral_form(
    client, counselor_a, client_a, staff_login
):
    session = book(client_a, counselor_a, days=2)
    staff_login(client, counselor_a)
    page = client.get(f"/sessions/clients/{client_a.pk}/").content.decode()
    assert "Client A" in page and f"/sessions/{session.pk}/" in page and "Refer to in-person care" in page


def _client(name: str) -> User:
    user = User.objects.create(email=f"{name.lower()}@clients.test", role=Role.CLIENT, password="!")
    ClientProfile.objects.create(user=user, display_name=name)
    return user


def _names_in_order(page: str, names) -> list[str]:
    return sorted((name for name in names if f">{name}</a>" in page), key=lambda name: page.index(f">{name}</a>"))


def test_rows_come_risk_first_then_soonest_session_then_by_name_across_pages(caseload_page, counselor_a, settings):
    from crisis.models import Escalation

    settings.CASELOAD_PAGE_SIZE = 2
    alpha, bravo, echo, mike, zulu = (_client(name) for name in ("Alpha", "Bravo", "Echo", "Mike", "Zulu"))
    book(alpha, counselor_a, days=-2, state="completed")
    book(bravo, counselor_a, days=-3, state="completed")
    book(echo, counselor_a, days=-4, state="completed")
    book(echo, counselor_a, days=5)
    book(mike, counselor_a, days=1)
    book(zulu, counselor_a, days=3)
    Escalation.objects.create(client=echo, counselor=counselor_a, kind="help_button", severity=3, dedupe_key="t:e")
    Escalation.objects.create(  # resolved: no longer a risk flag
        client=zulu, counselor=counselor_a, kind="help_button", severity=3, dedupe_key="t:z", state="resolved"
    )
    names = ["Alpha", "Bravo", "Echo", "Mike", "Zulu"]
    pages = [caseload_page(f"?page={n}") for n in (1, 2, 3)]
    assert [_names_in_order(page, names) for page in pages] == [["Echo", "Mike"], ["Zulu", "Alpha"], ["Bravo"]]
    assert "Page 2 of 3" in pages[1] and "?page=1" in pages[1] and "?page=3" in pages[1]
    assert 'class="caseload-row has-risk"' in pages[0] and "has-risk" not in pages[1]
    assert _names_in_order(caseload_page("?page=99"), names) == ["Bravo"]  # past the end: the last page
    upcoming = [caseload_page(f"?show=upcoming&page={n}") for n in (1, 2)]
    assert [_names_in_order(page, names) for page in upcoming] == [["Echo", "Mike"], ["Zulu"]]
    assert "?show=upcoming&amp;page=2" in upcoming[0]
    assert _names_in_order(caseload_page("?show=risk"), names) == ["Echo"]


def test_a_row_escapes_the_pseudonym_and_the_gates_messages(caseload_page, counselor_a, monkeypatch):
    client = _client('<b>Ann & "Bo"</b>')
    book(client, counselor_a, days=2)
    monkeypatch.setattr(
        "dashboards.selectors.consent_gates",
        lambda *, clients, **kw: {c.pk: GateResult.refuse("consent_missing", "<i>consent</i>") for c in clients},
    )
    page = caseload_page()
    assert "&lt;b&gt;Ann &amp; &quot;Bo&quot;&lt;/b&gt;" in page and "<b>Ann" not in page
    assert 'title="&lt;i&gt;consent&lt;/i&gt;"' in page and "<i>consent" not in page
    assert f'href="/sessions/clients/{client.pk}/"' in page


def test_a_page_number_is_read_as_paginator_get_page_reads_it(caseload_page, counselor_a, settings):
    """The page's rows and their count come in one query: any ?page= gives the page Paginator.get_page gives for
    the whole ordered list (not a number: the first; past the end or below 1: the last)."""

    settings.CASELOAD_PAGE_SIZE = 2
    names = ["Alpha", "Bravo", "Echo", "Mike", "Zulu"]
    for days, name in enumerate(names, start=1):
        book(_client(name), counselor_a, days=days)
    for number in ("", "1", "2", "3", "4", "0", "-1", "abc", "1.5", " 2 ", "99999999999999999999999"):
        expected = Paginator(names, 2).get_page(number or None)
        page = caseload_page(f"?page={number}")
        assert _names_in_order(page, names) == list(expected.object_list), number
        assert f"Page {expected.number} of 3" in page, number


def test_an_empty_caseload_has_one_empty_page_whatever_the_number(caseload_page):
    for number in ("", "1", "2", "0", "abc"):
        page = caseload_page(f"?page={number}")
        assert "No clients yet." in page and "caseload-row" not in page and "Page " not in page


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_pages_fixed_parts_print_what_the_template_without_them_prints(
    client, counselor_a, counselor_b, client_a, client_b, staff_login, language
):
    """counselor_home.html's `{% fixed %}` parts (kept once per language and URLs) hold no variable of the page: it
    prints the same as the template without them, for each counselor, when the parts are made and when they are
    taken as kept (made for another counselor)."""

    source = (Path(settings.BASE_DIR) / "templates" / "dashboards" / "counselor_home.html").read_text()
    assert "{% fixed " in source
    plain = engines["django"].from_string(re.sub(r'{% (?:fixed "[^"]+"|endfixed) %}', "", source))
    fixed_text._KEPT.clear()

    def strip_csrf(page) -> str:
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)

    for counselor, client_row in ((counselor_a, client_a), (counselor_b, client_b)):
        book(client_row, counselor, days=2)  # a row: the table and its head
        counselor.language = language
        counselor.save(update_fields=["language"])
        staff_login(client, counselor)
        for _ in range(2):
            response = client.get("/counselor/")
            context = {key: response.context[key] for key in response.context.keys()}
            expected = strip_csrf(plain.render(context, response.wsgi_request))
            assert strip_csrf(response.content.decode()) == expected
            assert ("Your clients" in expected) == (language == "en")
        assert any(key[0].startswith("caseload-") for key in fixed_text._KEPT)


def test_each_kind_of_page_reads_the_rows_the_orm_composes_for_it(counselor_a, counselor_b, settings):
    """The page's statement, written for each kind of page (a search or none, each filter) once and reused, in a
    shape of its own: any counselor, time, search text and page number gets exactly the rows the ORM's queryset
    gets."""
    from crisis.models import Escalation
    from dashboards.selectors import _caseload_row, _caseload_shown, caseload, caseload_page

    settings.CASELOAD_PAGE_SIZE = 2
    for index, name in enumerate(("Alpha", "Bravo_1", "Echo%", "Mike\\x", "Zulu")):
        client = _client(name)
        for days, counselor in ((index - 1.5, counselor_a), (index + 1, counselor_b)):
            book(client, counselor, days=days)
            book(client, counselor, days=days - 12, state="completed")
            conversation = Conversation.objects.create(client=client, counselor=counselor)
            for _ in range(index % 3):
                message(conversation, client, at=now() - timedelta(hours=index))
        if index % 2:
            Escalation.objects.create(
                client=client, counselor=counselor_a, kind="help_button", severity=3, dedupe_key=name
            )
    # Two live sessions and two open risk flags of one client: joined together they are four rows, counted as two.
    bravo = User.objects.get(client_profile__display_name="Bravo_1")
    book(bravo, counselor_a, days=4)
    book(bravo, counselor_a, days=6)
    Escalation.objects.create(client=bravo, counselor=counselor_b, kind="help_button", severity=2, dedupe_key="b2")
    Escalation.objects.create(
        client=bravo, counselor=counselor_a, kind="help_button", severity=2, dedupe_key="b3", state="resolved"
    )
    searches = ("", "a", "_", "%", "\\", "ECHO", "nobody")
    for counselor, at in (
        (counselor_a, now()),
        (counselor_b, now() + timedelta(days=2)),
        (counselor_a, now() - timedelta(days=9)),
    ):
        for show in ("", "upcoming", "unread", "risk", "other"):
            for search in searches:
                ordered = _caseload_shown(
                    caseload(counselor=counselor, search=search, show=show, at=at), counselor=counselor, at=at
                )
                for number in (1, 2, 3):
                    page = caseload_page(counselor=counselor, search=search, show=show, number=number, at=at)
                    expected = [_caseload_row(row) for row in ordered[(number - 1) * 2 : number * 2]]
                    if expected:
                        assert page.number == number and page.paginator.count == len(ordered)
                        assert list(page.object_list) == expected, (counselor, at, show, search, number)
    assert any(caseload_page(counselor=counselor_a, search="_", number=1).object_list)
    assert caseload_page(counselor=counselor_a, number=1).object_list[0].open_risk_flags == 2
