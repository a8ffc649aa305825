"""counseling.on_loop's pure helpers (its connections are exercised by tests/sessions/test_chat_store_on_loop.py)."""

import pytest

from counseling import on_loop


def test_only_positional_placeholders_are_numbered_for_prepare():
    assert on_loop._numbered_parameters("SELECT %s::int, %s WHERE id = %s") == "SELECT $1::int, $2 WHERE id = $3"
    with pytest.raises(ValueError):
        on_loop._numbered_parameters("SELECT %(id)s")
    with pytest.raises(ValueError):
        on_loop._numbered_parameters("SELECT '100%%'")
