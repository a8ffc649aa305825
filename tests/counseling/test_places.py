"""Where a client is, as people read it: a counselor looking at an emergency should not decode "ID-YO"."""

import pytest

from licensing.places import place_name

pytestmark = pytest.mark.django_db  # region names are the licensing jurisdictions' (seeded by migration)


@pytest.mark.parametrize(
    "country, region, shown",
    [
        ("ID", "ID-YO", "DI Yogyakarta (ID-YO), Indonesia"),
        ("ID", "ID-PE", "Papua Pegunungan (ID-PE), Indonesia"),
        ("US", "US-TX", "Texas (US-TX), United States"),
        ("ID", "", "Indonesia"),
        ("ID", "ID-ZZ", "ID-ZZ, Indonesia"),  # not a known jurisdiction: the code as given
        ("XX", "", "XX"),
        ("", "", ""),
    ],
)
def test_a_place_reads_as_names_with_the_code_kept(country, region, shown):
    assert place_name(country=country, region=region) == shown
