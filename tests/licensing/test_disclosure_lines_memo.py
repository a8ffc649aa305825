"""licence_disclosure_lines remembers the lines written for what they show: each value a line shows, changed, gives
the lines as written now (never the ones remembered for the old values), in the active language."""

import pytest
from django.utils import translation

from counseling.models import User
from licensing import selectors
from licensing.models import CompactPrivilege, IssuingBody, Jurisdiction, Licence, PracticeAgreement
from licensing.selectors import counselor_credentials_once, licence_disclosure_lines
from tests.licensing.factories import NOON, TODAY, compact, licence, privilege

pytestmark = pytest.mark.django_db


def _lines(counselor, *, language: str, once: bool) -> list[str]:
    """The remembered lines, checked against the lines written with nothing remembered."""
    with translation.override(language):
        counselor = User.objects.get(pk=counselor.pk)
        if once:
            counselor_credentials_once(counselor=counselor)
        got = licence_disclosure_lines(counselor=counselor, at=NOON)
        kept = dict(selectors._disclosure_lines)
        selectors._disclosure_lines.clear()
        expected = licence_disclosure_lines(counselor=User.objects.get(pk=counselor.pk), at=NOON)
        selectors._disclosure_lines.update(kept)
    assert got == expected
    return got


@pytest.mark.parametrize("once", [False, True])
def test_each_value_a_line_shows_changes_the_lines(counselor_b, admin_user, once):
    home = licence(counselor_b, "US-CO", kind="us_lpc", number="LPC-1")
    shown = privilege(home, "US-KS", agreement=compact("US-CO", "US-KS"), recorded_by=admin_user)
    seen = []

    def changed(what):
        for language in ("en", "id"):
            lines = _lines(counselor_b, language=language, once=once)
            assert lines not in seen, (what, language)
            seen.append(lines)
            assert _lines(counselor_b, language=language, once=once) == lines  # remembered

    changed("a licence and a privilege")
    Licence.objects.filter(pk=home.pk).update(number="LPC-2")
    changed("the licence's number (the privilege's home licence too)")
    Licence.objects.filter(pk=home.pk).update(expires_on=TODAY.replace(year=TODAY.year + 3))
    changed("its end")
    IssuingBody.objects.filter(pk=home.issuing_body_id).update(name="Another board")
    changed("its issuing body")
    IssuingBody.objects.filter(pk=home.issuing_body_id).update(registry_url="https://another.test/")
    changed("its register")
    Jurisdiction.objects.filter(pk=home.jurisdiction_id).update(name="Colorado, another name")
    changed("its place (the privilege's home too)")
    Jurisdiction.objects.filter(pk=shown.jurisdiction_id).update(name="Kansas, another name")
    changed("the privilege's place")
    PracticeAgreement.objects.filter(pk=shown.agreement_id).update(name="Another compact")
    changed("the privilege's agreement")
    CompactPrivilege.objects.filter(pk=shown.pk).update(revoked_at=NOON)
    changed("the privilege revoked")
    Licence.objects.filter(pk=home.pk).update(kind="other")
    changed("the licence's kind")


def test_the_kind_is_named_in_the_active_language(counselor_a):
    licence(counselor_a, "ID", number="STR-1")
    english, indonesian = (_lines(counselor_a, language=language, once=True) for language in ("en", "id"))
    assert english != indonesian
