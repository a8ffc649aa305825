"""`seed_demo` gives a new user a cast that can use every part of the site at once."""

import pytest
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from consent.selectors import consent_gate
from counseling.models import AuditEntry, User
from identity.models import IdentityDocument, Intake
from identity.selectors import identity_gate

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_prepares_a_ready_client_and_a_new_one(settings, capsys):
    settings.DEMO_SEEDING_ALLOWED = True
    call_command("seed_demo")
    counts = (
        User.objects.count(),
        Intake.objects.count(),
        IdentityDocument.objects.count(),
        TOTPDevice.objects.count(),
    )
    call_command("seed_demo")
    assert (
        User.objects.count(),
        Intake.objects.count(),
        IdentityDocument.objects.count(),
        TOTPDevice.objects.count(),
    ) == counts
    ayu = User.objects.get(email="client.ayu@demo.test")
    maya = User.objects.get(email="client.maya@demo.test")
    sari = User.objects.get(email="counselor.sari@demo.test")
    assert consent_gate(client=ayu, counselor=sari)
    assert identity_gate(client=ayu)
    assert not consent_gate(client=maya)
    assert identity_gate(client=maya).reason == "intake_missing"
    assert TOTPDevice.objects.filter(user__email="admin@demo.test", confirmed=True).exists()
    assert AuditEntry.objects.filter(action="identity_document.verified", subject_id=ayu.pk).count() == 1
    assert "demo_otp" in capsys.readouterr().out


def test_demo_otp_prints_a_code_the_device_accepts(settings, capsys):
    settings.DEMO_SEEDING_ALLOWED = True
    call_command("seed_demo")
    capsys.readouterr()
    call_command("demo_otp", "admin@demo.test")
    code = capsys.readouterr().out.strip()
    device = TOTPDevice.objects.get(user__email="admin@demo.test")
    assert device.verify_token(code)


def test_seed_demo_refuses_without_debug(settings):
    from django.core.management.base import CommandError

    settings.DEMO_SEEDING_ALLOWED = False
    with pytest.raises(CommandError, match="Refusing to create demo accounts"):
        call_command("seed_demo")
    assert not User.objects.exists()
