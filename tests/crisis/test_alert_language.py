"""Every alert reaches a staff member in the language they chose: the card on their open pages and the e-mail, on
every rung, for a help press, a repeated press and a drill. The profile's languages do not decide once they chose."""
# ruff: noqa: F811  (pytest fixtures imported from test_escalation_support are used as arguments)

from datetime import timedelta

import pytest
from django.core import mail

from counseling import clock
from counseling.models import CounselorProfile, User
from crisis.models import OnCallShift, Rung
from crisis.selectors import rung_minutes
from crisis.services import drill_start, escalation_deliver, escalation_sweep, help_request
from tests.conftest import make_counselor
from tests.counseling.test_escalation_support import eager_celery, make_session, pushed  # noqa: F401

pytestmark = pytest.mark.usefixtures("eager_celery")

ENGLISH = {"title": "Emergency alert: Help button pressed", "link": "Open the alert", "subject": "Emergency alert"}
INDONESIAN = {
    "title": "Peringatan darurat: Tombol bantuan ditekan",
    "link": "Buka peringatan",
    "subject": "Peringatan darurat",
}


def chose(user, language: str, *, profile_languages: str) -> User:
    """The person chose `language`; their profile lists other languages first, so only the choice can decide."""
    CounselorProfile.objects.filter(user=user).update(languages=profile_languages)
    User.objects.filter(pk=user.pk).update(language=language)
    return User.objects.get(pk=user.pk)


def alerts_to(pushed, user):
    return [payload for user_id, payload in pushed if user_id == user.pk and payload["type"] == "escalation.alert"]


def mails_to(user):
    return [m for m in mail.outbox if user.email in m.to]


@pytest.fixture
def on_call_id(db):
    """The on-call counselor chose Indonesian (their profile lists English first)."""
    user = chose(make_counselor("oncall.id@staff.test", "On Call ID"), "id", profile_languages="en,id")
    start = clock.now() - timedelta(hours=1)
    OnCallShift.objects.create(user=user, role="on_call", starts_at=start, ends_at=start + timedelta(days=1))
    return user


@pytest.fixture
def on_call_en(db):
    """A second on-call counselor chose English (their profile lists Indonesian first)."""
    user = chose(make_counselor("oncall.en@staff.test", "On Call EN"), "en", profile_languages="id,en")
    start = clock.now() - timedelta(hours=1)
    OnCallShift.objects.create(user=user, role="on_call", starts_at=start, ends_at=start + timedelta(days=1))
    return user


def test_each_on_call_counselor_gets_the_alert_card_and_the_email_in_the_language_they_chose(
    client_a, counselor_a, on_call_id, on_call_en, pushed, settings
):
    settings.SITE_URL = "http://konseling.test"
    chose(counselor_a, "en", profile_languages="id,en")
    t0 = clock.now()
    make_session(client_a, counselor_a, at=t0)
    escalation, _created = help_request(client=client_a, at=t0)
    escalation_deliver(escalation_id=escalation.pk, at=t0)
    escalation_sweep(at=t0 + timedelta(minutes=rung_minutes(escalation), seconds=1))
    escalation.refresh_from_db()
    assert escalation.rung == Rung.ON_CALL

    for person, words in ((counselor_a, ENGLISH), (on_call_en, ENGLISH), (on_call_id, INDONESIAN)):
        [card] = alerts_to(pushed, person)
        assert (card["title"], card["link"]) == (words["title"], words["link"]), person.email
        assert card["url"] == f"/staff/risk/{escalation.pk}/"
        [email] = mails_to(person)
        assert words["subject"] in email.subject, (person.email, email.subject)
        assert f"http://konseling.test/staff/risk/{escalation.pk}/" in email.body
        assert "Client A" not in email.subject + email.body  # e-mails hold no client data
    assert "Buka dan konfirmasikan" in mails_to(on_call_id)[0].body
    assert [card["severity"] for card in alerts_to(pushed, on_call_id)] == ["Tinggi"]
    assert "Open it and acknowledge it" in mails_to(on_call_en)[0].body


def test_a_repeated_press_reaches_each_person_in_their_language(client_a, counselor_a, pushed):
    chose(counselor_a, "id", profile_languages="en")
    t0 = clock.now()
    make_session(client_a, counselor_a, at=t0)
    for seconds in (0, 5):
        escalation, _created = help_request(client=client_a, at=t0 + timedelta(seconds=seconds))
        escalation_deliver(escalation_id=escalation.pk, at=t0 + timedelta(seconds=seconds))
    first, again = alerts_to(pushed, counselor_a)
    assert first["title"] == INDONESIAN["title"]
    assert again["press"] == 1 and again["title"] == "Tombol bantuan ditekan lagi oleh Client A"
    assert [m.subject.split("] ")[1] for m in mails_to(counselor_a)] == [
        "Peringatan darurat: Tombol bantuan ditekan",
        "Tombol bantuan ditekan lagi",
    ]


@pytest.mark.parametrize(
    "language, title, body, link, subject",
    [
        (
            "id",
            "LATIHAN — tidak ada klien dalam bahaya",
            "Latihan peringatan darurat. Buka dan terima seperti peringatan sungguhan.",
            "Buka latihan",
            "LATIHAN — tidak ada klien dalam bahaya: pengujian peringatan darurat",
        ),
        (
            "en",
            "DRILL — no client is in danger",
            "A test of the emergency alerts. Open it and acknowledge it as you would a real alert.",
            "Open the drill",
            "DRILL — no client is in danger: a test of the emergency alerts",
        ),
    ],
)
def test_a_drill_reaches_the_counselor_in_the_language_they_chose(
    counselor_a, admin_user, pushed, django_capture_on_commit_callbacks, language, title, body, link, subject
):
    chose(counselor_a, language, profile_languages="en,id" if language == "id" else "id,en")
    with django_capture_on_commit_callbacks(execute=True):
        drill_start(counselor=counselor_a, started_by=admin_user, minutes_per_rung=1, at=clock.now())
    [card] = alerts_to(pushed, counselor_a)
    assert (card["title"], card["body"], card["link"], card["drill"]) == (title, body, link, True)
    [email] = mails_to(counselor_a)
    assert subject in email.subject


def test_an_admin_who_chose_indonesian_gets_the_alert_of_an_empty_roster_in_indonesian(client_a, admin_user, pushed):
    """No counselor and nobody rostered: the admins are alerted instead, each in their language."""
    User.objects.filter(pk=admin_user.pk).update(language="id")
    english_admin = User.objects.create_superuser(email="admin.en@staff.test", password="x-long-password-1")
    t0 = clock.now()
    escalation, _created = help_request(client=client_a, at=t0)
    escalation_deliver(escalation_id=escalation.pk, at=t0)
    for step in range(1, 5):
        escalation_sweep(at=t0 + timedelta(minutes=rung_minutes(escalation) * step, seconds=1))
    assert alerts_to(pushed, admin_user), "the admins are alerted when nobody else can be"
    assert {card["title"] for card in alerts_to(pushed, admin_user)} == {INDONESIAN["title"]}
    assert {card["title"] for card in alerts_to(pushed, english_admin)} == {ENGLISH["title"]}
    assert all(INDONESIAN["subject"] in m.subject for m in mails_to(admin_user))
    assert all(ENGLISH["subject"] in m.subject for m in mails_to(english_admin))
