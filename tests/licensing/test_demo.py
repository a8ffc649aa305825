"""The demo counselors get realistic, verified licences, and seeding twice adds nothing."""

from datetime import timedelta

import pytest

from counseling.clock import now
from counseling.models import User
from dashboards.demo import demo_seed
from licensing.models import CompactPrivilege, Licence, LicenceState
from licensing.selectors import jurisdiction_gate
from sessions.selectors import booking_gate

pytestmark = pytest.mark.django_db


def test_demo_counselors_are_licensed_where_their_clients_are():
    demo_seed()
    demo_seed()
    sari = User.objects.get(email="counselor.sari@demo.test")
    ben = User.objects.get(email="counselor.ben@demo.test")
    assert sorted(Licence.objects.filter(counselor=sari).values_list("kind", "jurisdiction__region")) == [
        ("silp", "ID-YO"),
        ("sippk", "ID-YO"),
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


def test_demo_sari_may_counsel_ayu_through_every_gate_and_keeps_her_permit_after_the_silp_lapses():
    """The demo's ready client can book the demo counselor with the real gates, not opened ones."""
    demo_seed()
    sari = User.objects.get(email="counselor.sari@demo.test")
    ayu = User.objects.get(email="client.ayu@demo.test")
    starts_at = now() + timedelta(days=2)
    assert booking_gate(client=ayu, counselor=sari, starts_at=starts_at), booking_gate(
        client=ayu, counselor=sari, starts_at=starts_at
    ).message
    # Past the SILP's expiry (50 days), the SIPPK still meets the practice rule.
    assert jurisdiction_gate(counselor=sari, country="ID", region="ID-JK", at=now() + timedelta(days=60))


def test_a_demo_made_before_practice_rules_gets_saris_missing_permit():
    demo_seed()
    sari = User.objects.get(email="counselor.sari@demo.test")
    Licence.objects.filter(counselor=sari, kind="sippk").update(kind="other")  # (rows are never deleted)
    assert not jurisdiction_gate(counselor=sari, country="ID", region="ID-JK", at=now() + timedelta(days=60))
    demo_seed()
    assert Licence.objects.get(counselor=sari, kind="sippk").state == LicenceState.VERIFIED
