"""consent_gate_from_status: the consent gate with a counselor, on what the client's consent panel just read (the
client's home), answers as consent_gate itself in every state of the client's consent."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from consent.models import ConsentAcceptance
from consent.selectors import consent_gate, consent_gate_from_status, consent_status_for_client
from consent.services import consent_draft_create, consent_version_publish, consent_withdraw
from counseling.models import User
from tests.consent.conftest import accept_current
from tests.licensing.factories import licence

pytestmark = pytest.mark.django_db


def _same_answers(client, counselors) -> None:
    for counselor in counselors:
        expected = consent_gate(client=User.objects.get(pk=client.pk), counselor=counselor)
        for with_counselors in (False, True):
            status = consent_status_for_client(client=User.objects.get(pk=client.pk), with_counselors=with_counselors)
            got = consent_gate_from_status(status=status, counselor=counselor)
            assert (got.allowed, got.reason, got.message, got.action_url) == (
                expected.allowed,
                expected.reason,
                expected.message,
                expected.action_url,
            ), (counselor, with_counselors)


def test_it_answers_as_the_consent_gate_in_every_state(client_a, counselor_a, counselor_b, admin_user):
    counselors = [counselor_a, counselor_b]
    _same_answers(client_a, counselors)  # nothing accepted
    accept_current(client_a)
    _same_answers(client_a, counselors)  # a general acceptance: no counselor's details shown
    accept_current(client_a, counselor=counselor_a)
    _same_answers(client_a, counselors)  # accepted with counselor_a's details
    licence(counselor_a, "ID", number="STR-77")
    _same_answers(client_a, counselors)  # counselor_a's disclosure changed since
    accept_current(client_a, counselor=counselor_a)
    consent_version_publish(version=consent_draft_create(language="id", created_by=admin_user), actor=admin_user)
    _same_answers(client_a, counselors)  # a new version: outdated
    accept_current(client_a, counselor=counselor_a)
    consent_withdraw(client=client_a)
    _same_answers(client_a, counselors)  # withdrawn


def test_a_user_who_is_not_a_client_is_refused_alike(counselor_a, counselor_b):
    _same_answers(counselor_b, [counselor_a])


def test_it_reads_no_acceptance_nor_version_again(client_a, counselor_a):
    accept_current(client_a, counselor=counselor_a)
    status = consent_status_for_client(client=client_a, with_counselors=False)
    with CaptureQueriesContext(connection) as queries:
        assert consent_gate_from_status(status=status, counselor=counselor_a)
    tables = " ".join(query["sql"] for query in queries)
    assert "consent_consentacceptance" not in tables and "consent_consentversion" not in tables


def test_the_acceptances_come_newest_first_whatever_order_they_were_written_in(client_a, counselor_a):
    """Sorted in Python, not by the database: by the moment of acceptance, newest first, not by row id."""
    older_row = accept_current(client_a)
    newer_row = accept_current(client_a, counselor=counselor_a)
    ConsentAcceptance.objects.filter(pk=older_row.pk).update(accepted_at=newer_row.accepted_at + timedelta(minutes=1))
    status = consent_status_for_client(client=User.objects.get(pk=client_a.pk), with_counselors=False)
    assert [acceptance.pk for acceptance in status["acceptances"]] == [older_row.pk, newer_row.pk]
    assert status["current"].pk == older_row.pk
