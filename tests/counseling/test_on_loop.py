"""counseling.on_loop's pure helpers (its connections are exercised by tests/sessions/test_chat_store_on_loop.py)."""

import pytest

from counseling import on_loop
from counseling.settings import database_direct_from_url


def test_only_positional_placeholders_are_numbered_for_prepare():
    assert on_loop._numbered_parameters("SELECT %s::int, %s WHERE id = %s") == "SELECT $1::int, $2 WHERE id = $3"
    with pytest.raises(ValueError):
        on_loop._numbered_parameters("SELECT %(id)s")
    with pytest.raises(ValueError):
        on_loop._numbered_parameters("SELECT '100%%'")


def test_database_direct_url_gives_the_host_and_port_of_postgresql_itself():
    assert database_direct_from_url("postgresql://u:p@postgres:5433/counseling") == {"host": "postgres", "port": 5433}
    assert database_direct_from_url("postgresql://u:p@postgres/counseling") == {"host": "postgres", "port": 5432}
    assert database_direct_from_url("") == {}
