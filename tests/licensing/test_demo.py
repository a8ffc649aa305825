"""The demo counselors get realistic, verified licences, and seeding twice adds nothing."""

import pytest

from counseling.clock import now
from counseling.models import User
from dashboards.demo import demo_seed
from licensing.models import CompactPrivilege, Licence, LicenceState
from licensing.selectors import jurisdiction_gate

pytestmark = pytest.mark.django_db


def test_demo_counselors_are_licensed_where_their_clients_are():
    demo_seed()
    demo_seed()
    sari = User.objects.get(email="counselor.sari@demo.test")
    ben = User.objects.get(email="counselor.ben@demo.test")
    assert sorted(Licence.objects.filter(counselor=sari).values_list("kind", "jurisdiction__region")) == [
        ("silp", "ID-YO"),
        ("str", ""),
    ]
    assert set(Licence.objects.values_list("state", flat=True)) == {LicenceState.VERIFIED}
    assert CompactPrivilege.objects.get(counselor=ben).jurisdiction.code == "US-KS"
    at = now()
    assert jurisdiction_gate(counselor=sari, country="ID", region="ID-JK", at=at)
    assert not jurisdiction_gate(counselor=sari, country="US", region="US-TX", at=at)
    assert jurisdiction_gate(counselor=ben, country="US", region="US-TX", at=at)
    assert jurisdiction_gate(counselor=ben, country="US", region="US-KS", at=at)
    assert jurisdiction_gate(counselor=ben, country="US", region="US-CA", at=at).reason == "no_licence_there"
