"""`seed_demo` gives a new user a cast that can use every part of the site at once."""

import json
import logging
from pathlib import Path

import pytest
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from consent.selectors import consent_gate
from counseling.models import AuditEntry, User
from dashboards.demo import DEMO_CODE_WORD, DEMO_PASSWORD
from identity.models import IdentityDocument, Intake
from identity.selectors import identity_gate
from sessions.selectors import client_accepted_by, pending_requests

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
    # Sari took Ayu on; Dewi's first request (her screen did not pass) waits for Sari's answer, once.
    assert client_accepted_by(client=ayu, counselor=sari)
    dewi = User.objects.get(email="client.dewi@demo.test")
    waiting = pending_requests(counselor=sari)
    assert [(r.session.client, r.screen_passed) for r in waiting] == [(dewi, False)]
    assert identity_gate(client=dewi).reason == "unsuitable_for_text"
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


def test_seed_demo_never_prints_or_logs_the_code_word_or_the_password(settings, capsys, caplog):
    """scripts/run's output is the server's log: the demo's secrets are in the README, never in the log."""
    settings.DEMO_SEEDING_ALLOWED = True
    caplog.set_level(logging.DEBUG)
    call_command("seed_demo")
    call_command("seed_demo")  # the second run, when everything exists already
    captured = capsys.readouterr()
    written = "\n".join([captured.out, captured.err, caplog.text]).lower()
    assert "client.ayu@demo.test" in written  # the accounts are still listed
    assert "readme" in written  # and it says where the password and the code word are
    for secret in (DEMO_CODE_WORD, DEMO_PASSWORD):
        assert secret.lower() not in written
        assert not any(
            secret.lower() in json.dumps(detail).lower()
            for detail in AuditEntry.objects.values_list("detail", flat=True)
        )
    # The password and the code word the demo relies on are the ones the README gives.
    readme = " ".join((Path(__file__).parents[2] / "README.md").read_text().split())
    assert f"code word `{DEMO_CODE_WORD}`" in readme
    assert f"password `{DEMO_PASSWORD}` for all" in readme
