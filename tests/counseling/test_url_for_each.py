"""url_for_each: a URL pattern reversed once for many rows gives what reverse gives for each."""

import pytest
from django.urls import reverse

from counseling.url_for_each import url_for_each


@pytest.mark.parametrize(
    "name", ["escalation:detail", "sessions:caseload_client", "clinical:session_note", "licensing:counselor_profile"]
)
@pytest.mark.parametrize("pk", [1, 7, 98765432, 987654321])
def test_each_row_gets_the_url_reverse_gives(name, pk):
    assert url_for_each(name)(pk) == reverse(name, args=[pk])
