"""No page or e-mail presents 112 as nationwide or enough on its own, in either language."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.core import mail

from sessions.models import CounselingSession
from sessions.tasks import session_email_send

pytestmark = pytest.mark.django_db

PAGES = ["/", "/consent/transparency/", "/consent/", "/consent/withdraw/", "/intake/", "/help/sent/", "/client/"]
NATIONWIDE = re.compile(
    r"112[^.;]{0,60}\b(nasional|national|nationwide)\b|\b(nasional|national)\b[^.;]{0,60}112"
    r"|nomor darurat Indonesia",
    re.IGNORECASE,
)
NOT_EVERYWHERE = {"en": "not yet everywhere", "id": "belum di semua daerah"}


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize("language", ["en", "id"])
def test_no_page_calls_112_national_and_every_page_naming_it_says_it_is_not_everywhere(client, client_a, language):
    client.force_login(client_a)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        text = _text(response.content.decode())
        assert not NATIONWIDE.search(text), (path, NATIONWIDE.search(text))
        if "112" in text:
            assert (
                NOT_EVERYWHERE[language] in text
                or "not yet available everywhere" in text
                or "belum tersedia di semua daerah" in text
            ), path
        for number in ("110", "113"):
            assert number in text, (path, number)


@pytest.mark.parametrize("client_fixture, language", [("client_a", "id"), ("client_b", "en")])
def test_the_session_email_lists_110_119_113_beside_112(request, counselor_a, client_fixture, language):
    patient = request.getfixturevalue(client_fixture)
    start = datetime(2027, 2, 1, 2, 0, tzinfo=UTC)
    session = CounselingSession.objects.create(
        client=patient,
        counselor=counselor_a,
        starts_at=start,
        ends_at=start + timedelta(minutes=50),
        client_time_zone="Asia/Jakarta",
        counselor_time_zone="Asia/Jakarta",
    )
    session_email_send(session.pk, "booked")
    (body,) = [m.body for m in mail.outbox if m.to == [patient.email]]
    assert not NATIONWIDE.search(body)
    assert all(number in body for number in ("110", "119", "113", "112"))
    assert NOT_EVERYWHERE[language] in body
