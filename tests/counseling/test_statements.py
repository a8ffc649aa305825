"""counseling.statements: a read's statement composed by the ORM once, run with each request's values."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from counseling import statements
from counseling.clock import now
from counseling.models import ClientProfile, Role, User
from counseling.statements import _composed, composed_for, stand_ins_for

pytestmark = pytest.mark.django_db

# A request's values: the statements are composed for their kinds (stand_ins_for), never with them.
VALUES = {"viewer": 7, "at": datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC), "search": "a"}


def clients_named(*, viewer, at, search):
    return (
        User.objects.filter(role=Role.CLIENT, date_joined__lte=at, client_profile__display_name__icontains=search)
        .exclude(pk=viewer)
        .annotate(pseudonym=F("client_profile__display_name"))
        .order_by("pseudonym", "pk")
        .values("pk", "pseudonym", "date_joined")
    )


@pytest.fixture(autouse=True)
def _forget_statements():
    _composed.clear()
    yield
    _composed.clear()


def test_the_rows_are_the_querysets_for_any_values(db):
    joined = now().replace(microsecond=0) - timedelta(days=10)
    users = []
    for index, name in enumerate(("Alpha", "Bravo_1", "Echo%", "Mike\\x", "zulu a")):
        user = User.objects.create(email=f"c{index}@clients.test", role=Role.CLIENT, password="!")
        User.objects.filter(pk=user.pk).update(date_joined=joined + timedelta(days=index))
        ClientProfile.objects.create(user=user, display_name=name)
        users.append(user)
    statement = composed_for(("test", "clients"), clients_named, VALUES)
    for viewer in (users[0].pk, users[2].pk, -1):
        for at in (now(), joined + timedelta(days=2)):
            for search in ("", "a", "A", "_", "%", "\\", "nobody"):
                values = {"viewer": viewer, "at": at, "search": search}
                expected = list(clients_named(**values))
                assert statement.rows(values) == expected, values
                assert statement.rows(values, low=1, high=3) == expected[1:3], values
                assert statement.rows(values, high=2) == expected[:2], values
    assert isinstance(statement.rows({"viewer": -1, "at": now(), "search": ""})[0]["date_joined"], datetime)


def test_a_kind_of_read_is_composed_once(db):
    calls = []

    def compose(**values):
        calls.append(values)
        return clients_named(**values)

    first = composed_for(("test", "once"), compose, VALUES)
    again = {"viewer": 8, "at": now(), "search": "b"}  # other values of the same kinds: the same statement
    assert composed_for(("test", "once"), compose, again) is first
    assert calls == list(stand_ins_for(VALUES))  # the two sets of stand-ins, once; never a request's values
    assert composed_for(("test", "another"), compose, VALUES) is not first


def test_a_statement_whose_sql_depends_on_its_values_is_refused(db):
    def compose(*, viewer, at, search):
        rows = clients_named(viewer=viewer, at=at, search=search)
        return rows.filter(pk__gt=0) if viewer == stand_ins_for(VALUES)[0]["viewer"] else rows

    with pytest.raises(AssertionError, match="depends on more than its values"):
        composed_for(("test", "sql"), compose, VALUES)
    assert not _composed  # nothing kept


def test_a_parameter_of_unknown_origin_is_refused(db):
    def compose(*, viewer, at, search):
        return clients_named(viewer=viewer, at=at, search=search).exclude(pk=-viewer + 1)

    with pytest.raises(AssertionError, match="unknown origin"):
        composed_for(("test", "unknown"), compose, VALUES)


def clients_with_profiles(*, viewer, at, search):
    return (
        User.objects.filter(role=Role.CLIENT, date_joined__lte=at, client_profile__display_name__icontains=search)
        .exclude(pk=viewer)
        .select_related("client_profile")
        .only("email", "date_joined", "client_profile__display_name")
        .annotate(pseudonym=F("client_profile__display_name"))
        .order_by("pseudonym", "pk")
    )


def test_the_instances_are_the_querysets_with_their_related_rows_and_deferred_fields(db, django_assert_num_queries):
    for index, name in enumerate(("Alpha", "Bravo_1", "Echo%")):
        user = User.objects.create(email=f"c{index}@clients.test", role=Role.CLIENT, password="!")
        ClientProfile.objects.create(user=user, display_name=name)
    User.objects.create(email="none@clients.test", role=Role.CLIENT, password="!")  # no profile: not listed
    statement = composed_for(("test", "instances"), clients_with_profiles, VALUES)

    def seen(users):
        return [
            (
                type(user),
                user.pk,
                user.email,
                user.date_joined,
                user.pseudonym,
                user.get_deferred_fields(),
                user.client_profile.pk,
                user.client_profile.display_name,
                user.client_profile.get_deferred_fields(),
                user._state.db,
                user._state.adding,
            )
            for user in users
        ]

    for viewer in (-1, User.objects.get(email="c0@clients.test").pk):
        for search in ("", "a", "%", "nobody"):
            values = {"viewer": viewer, "at": now(), "search": search}
            expected = seen(clients_with_profiles(**values))
            with django_assert_num_queries(1):
                assert seen(statement.instances(values)) == expected
            assert seen(statement.instances(values, low=1, high=2)) == expected[1:2]
    assert statement.instances({"viewer": -1, "at": now(), "search": ""}) == list(
        clients_with_profiles(viewer=-1, at=now(), search="")
    )


def clients_among(*, ids, at):
    return User.objects.filter(pk__in=ids, date_joined__lte=at).order_by("pk").values("pk", "email")


def test_a_list_is_put_item_by_item_in_a_statement_of_its_length(db):
    users = [User.objects.create(email=f"c{index}@clients.test", role=Role.CLIENT, password="!") for index in range(4)]
    pks = [user.pk for user in users]
    statement = composed_for(("test", "list"), clients_among, {"ids": pks[:3], "at": now()})
    for ids in ([pks[0], pks[2], pks[3]], [pks[3], pks[1], -5], [pks[1], pks[1], pks[0]]):
        values = {"ids": ids, "at": now()}
        assert statement.rows(values) == list(clients_among(**values)), ids
    with pytest.raises(AssertionError, match="2 items for a statement of 3"):
        statement.rows({"ids": pks[:2], "at": now()})


def test_identity_gates_decide_on_the_intakes_the_orm_reads_for_any_page_of_clients(db, counselor_a, monkeypatch):
    from identity import selectors
    from tests.conftest import make_client
    from tests.counseling.test_intake import complete_intake

    clients = [make_client(f"c{index}@clients.test", f"C{index}") for index in range(4)]
    for client in clients[:3]:
        complete_intake(client)
    decided = []
    decide = selectors._identity_decide

    def keep(*, intake, **kw):
        decided.append(intake)
        return decide(intake=intake, **kw)

    monkeypatch.setattr(selectors, "_identity_decide", keep)

    def seen(intakes):
        return sorted(
            (i.pk, i.client_id, i.code_word_set, i.document_status, i.get_deferred_fields(), i.suitability_passed)
            for i in intakes
            if i is not None
        )

    for page in (clients, clients[1:], clients[:1], [clients[3], clients[0]]):
        decided.clear()
        gates = selectors.identity_gates(clients=page, counselor=counselor_a)
        assert list(gates) == [client.pk for client in page]
        assert seen(decided) == seen(selectors._gate_intakes(clients=[client.pk for client in page]))
    assert len(seen(decided)) == 1  # the last page: one client with an intake, one without


def test_stand_ins_keep_each_values_kind_and_length_and_differ_between_the_two_sets():
    values = {"ids": [3, 9, 4], "at": now(), "viewer": 7, "search": "a", "day": now().date()}
    first, second = stand_ins_for(values)
    for stand_ins in (first, second):
        assert set(stand_ins) == set(values)
        assert len(stand_ins["ids"]) == 3 and all(pk < 0 for pk in stand_ins["ids"])
        assert stand_ins["viewer"] < 0 and stand_ins["at"].year < 1903 and isinstance(stand_ins["search"], str)
        assert type(stand_ins["day"]) is date and stand_ins["day"].year < 1903
    assert all(first[name] != second[name] for name in values)
    assert len({*first["ids"], *second["ids"], first["viewer"], second["viewer"]}) == 8  # no two alike
    with pytest.raises(TypeError, match="no stand-in"):
        stand_ins_for({"flag": True})
    with pytest.raises(TypeError, match="a list of ids"):
        stand_ins_for({"names": ["a"]})


def test_a_values_list_read_gives_the_querysets_tuples(db):
    users = [User.objects.create(email=f"t{index}@clients.test", role=Role.CLIENT, password="!") for index in range(3)]

    def among(*, ids, at):
        return User.objects.filter(pk__in=ids, date_joined__lte=at).order_by("-pk").values_list("pk", "date_joined")

    values = {"ids": [user.pk for user in users], "at": now()}
    statement = composed_for(("test", "tuples"), among, values)
    assert statement.tuples(values) == list(among(**values))
    assert isinstance(statement.tuples(values)[0][1], datetime)


def test_composed_for_composes_once_per_kind_and_list_length_then_only_runs(db):
    users = [User.objects.create(email=f"f{index}@clients.test", role=Role.CLIENT, password="!") for index in range(3)]
    composed = []

    def among(**values):
        composed.append(values)
        return clients_among(**values)

    first = {"ids": [users[0].pk, users[1].pk], "at": now()}
    assert composed_for(("test", "for"), among, first).rows(first) == list(clients_among(**first))
    assert len(composed) == 2 and all(pk < 0 for values in composed for pk in values["ids"])
    again = {"ids": [users[2].pk, users[0].pk], "at": now()}
    with CaptureQueriesContext(connection) as queries:
        rows = composed_for(("test", "for"), among, again).rows(again)
    assert len(composed) == 2 and len(queries) == 1  # composed before: only run
    assert rows == list(clients_among(**again))
    longer = {"ids": [user.pk for user in users], "at": now()}
    assert composed_for(("test", "for"), among, longer).rows(longer) == list(clients_among(**longer))
    assert len(composed) == 4  # another length, another statement


def test_a_value_without_a_stand_in_is_refused_before_anything_is_composed(db):
    def compose(**values):
        raise AssertionError("never composed")

    # None, a bool or a list of text changes the SQL or is a constant: it belongs in the key, not in the values.
    for values in ({"viewer": None}, {"viewer": True}, {"ids": ["a"]}):
        with pytest.raises(TypeError, match="stand_ins_for"):
            composed_for(("test", "kinds"), compose, values)
    assert not _composed


def test_a_read_that_needs_more_than_its_statement_is_refused(db):
    def with_prefetch(*, viewer):
        return User.objects.filter(pk=viewer).prefetch_related("client_sessions")

    with pytest.raises(AssertionError, match="own row only"):
        composed_for(("test", "prefetch"), with_prefetch, {"viewer": 1})


def test_the_statements_kept_are_bounded(db, monkeypatch):
    monkeypatch.setattr(statements, "_COMPOSED_KEPT", 3)
    for length in range(1, 6):
        values = {"ids": list(range(1, length + 1)), "at": now()}
        composed_for(("test", "bound"), clients_among, values)
        assert len(_composed) <= 3


def test_a_date_is_put_as_its_field_takes_it(db):
    users = [User.objects.create(email=f"d{index}@clients.test", role=Role.CLIENT, password="!") for index in range(3)]
    for index, user in enumerate(users):
        User.objects.filter(pk=user.pk).update(date_joined=now() - timedelta(days=10 * index))

    def joined_since(*, day):
        return User.objects.filter(date_joined__date__gte=day).order_by("pk").values_list("pk", flat=False)

    for days in (0, 5, 10, 15, 25):
        values = {"day": now().date() - timedelta(days=days)}
        assert composed_for(("test", "day"), joined_since, values).tuples(values) == list(joined_since(**values))
