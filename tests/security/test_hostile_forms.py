"""Hostile input in every form of the site (hypothesis, bounded): random and oversized strings, several values
for one field, HTML and script, SQL-looking text, control characters, invalid UTF-8.

For every submission: never a 500; a refusal (anything but a redirect) writes no row in any domain table
(audit entries excepted: recording a refused attempt is allowed); whatever comes back, and the page a
success redirects to, shows our tags as text, never as markup; a redirect never leaves the site.
"""

from datetime import timedelta

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from counseling.clock import now
from counseling.gates import GateResult
from crisis.services import help_request
from identity.services import identity_document_upload
from sessions.models import CounselingSession
from tests.conftest import PASSWORD
from tests.counseling.test_escalation_support import eager_celery, make_session, pushed  # noqa: F401
from tests.counseling.test_identity_documents_sniffing import png_bytes
from tests.licensing import factories
from tests.security.hostile import BOUNDED, assert_escaped, changed, hostile_form, hostile_text, row_counts
from tests.sessions.booking_support import open_gates, work_every_day

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery", "pushed")]


def submit(client, path: str, data: dict, **extra):
    """POST hostile data; check the outcome as the module docstring says. Returns the response."""
    before = row_counts()
    response = client.post(path, data, **extra)
    assert response.status_code < 500, f"{path} answered {response.status_code}"
    assert_escaped(response.content)
    if response.status_code in (301, 302, 303):
        location = response["Location"]
        assert location.startswith("/") and not location.startswith("//"), f"{path} redirected off-site: {location}"
        page = client.get(location)
        assert page.status_code < 500
        assert_escaped(page.content)
    else:
        diff = changed(before, row_counts())
        assert diff == {}, f"{path} refused ({response.status_code}) but wrote {diff}"
    return response


@pytest.fixture
def signed_in(client_a):
    browser = Client()
    browser.force_login(client_a)
    return browser


@pytest.fixture
def staff(staff_login):
    def make(user):
        return staff_login(Client(), user)

    return make


@pytest.fixture
def gates_open(monkeypatch):
    monkeypatch.setattr("identity.views.consent_gate", lambda **kw: GateResult.ok())
    open_gates(monkeypatch)


# --- anonymous forms -----------------------------------------------------------------------------------------


SIGNUP_FIELDS = ["email", "display_name", "password1", "password2", "preferred_language", "time_zone"]


@BOUNDED
@given(data=hostile_form(SIGNUP_FIELDS), email=st.one_of(st.none(), st.emails()))
def test_sign_up_refuses_hostile_input_cleanly(db, data, email):
    if email is not None:  # a valid address now and then, so the other fields are what gets judged
        data = {**data, "email": email}
    submit(Client(), "/accounts/signup/", data)


@BOUNDED
@given(data=hostile_form(["username", "password"]), known=st.booleans())
def test_login_refuses_hostile_input_cleanly(client_a, data, known):
    if known:
        data = {**data, "username": client_a.email}
    response = submit(Client(), "/accounts/login/", data)
    assert response.status_code != 302 or data.get("password") == PASSWORD


def test_invalid_utf8_and_surrogates_in_a_raw_form_body_are_refused_cleanly(db, client_a):
    """A form body a browser would never send: bytes that are not UTF-8, and encoded lone surrogates."""
    for body in (
        b"email=%FF%FE%FD&display_name=%ED%A0%80&password1=x&password2=x",
        b"username=%C0%AE%C0%AE%2F&password=%ED%B2%80",
        b"\xff\xfe=\x00\x00&&&==&%",
    ):
        for path in ("/accounts/signup/", "/accounts/login/"):
            before = row_counts()
            response = Client().post(path, body, content_type="application/x-www-form-urlencoded")
            assert response.status_code < 500
            assert changed(before, row_counts()) == {}


def test_a_body_over_the_upload_limit_is_refused_with_400(db, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000
    before = row_counts()
    response = Client().post("/accounts/signup/", {"display_name": "x" * 200_000, "email": "big@example.test"})
    assert response.status_code == 400
    assert changed(before, row_counts()) == {}


# --- the client's forms --------------------------------------------------------------------------------------


@BOUNDED
@given(data=hostile_form(["acknowledged", "version", "text_sha256", "counselor", "next"]))
def test_consent_acceptance_refuses_hostile_input_cleanly(signed_in, data):
    submit(signed_in, "/consent/", data)


@BOUNDED
@given(data=hostile_form(["reason", "confirm"]))
def test_consent_withdrawal_with_hostile_extras_never_fails(signed_in, data):
    submit(signed_in, "/consent/withdraw/", data)


INTAKE_FIELDS = [
    "legal_name",
    "date_of_birth",
    "phone",
    "country",
    "region",
    "emergency_contact_name",
    "emergency_contact_relation",
    "emergency_contact_phone",
    "emergency_contact_authorised",
    "connection_drop_plan",
    "other_providers",
    "suitable_text",
    "guardian_name",
    "guardian_contact",
    "guardian_consent",
    "code_word",
    "code_word_again",
]


@BOUNDED
@given(
    data=hostile_form(
        INTAKE_FIELDS,
        extra={
            "date_of_birth": st.sampled_from(["1990-01-01", "x", "2999-01-01"]),
            "country": st.sampled_from(["ID", "US", "XX", "<b>"]),
        },
    )
)
def test_intake_refuses_hostile_input_cleanly(signed_in, gates_open, data):
    submit(signed_in, "/intake/form/", data)


@pytest.fixture
def working_counselor(counselor_a):
    work_every_day(counselor_a)
    return counselor_a


@pytest.fixture
def own_session(client_a, counselor_a):
    start = now() + timedelta(days=3)
    return CounselingSession.objects.create(
        client=client_a,
        counselor=counselor_a,
        starts_at=start,
        ends_at=start + timedelta(minutes=50),
        state="scheduled",
    )


@BOUNDED
@given(data=hostile_form(["country", "region", "next"], extra={"country": st.sampled_from(["ID", "US", "ZZ"])}))
def test_location_confirmation_refuses_hostile_input_and_never_redirects_off_site(signed_in, own_session, data):
    submit(signed_in, f"/sessions/{own_session.pk}/location/", data)


@BOUNDED
@given(data=hostile_form(["attempt"]))
def test_the_code_word_answer_refuses_hostile_input_cleanly(signed_in, own_session, data):
    response = signed_in.post(f"/sessions/{own_session.pk}/code-word/", data)
    assert response.status_code < 500
    assert_escaped(response.content)


@BOUNDED
@given(
    data=hostile_form(
        ["starts_at"],
        extra={
            "starts_at": st.one_of(
                hostile_text(),
                st.sampled_from(
                    [
                        "2027-02-01T09:00:00+00:00",
                        "2027-02-01T09:00",
                        "1970-01-01T00:00:00Z",
                        "0001-01-01T00:00:00+05:00",
                        "9999-12-31T23:59:59-05:00",
                    ]
                ),
            )
        },
    )
)
def test_booking_refuses_hostile_slots_cleanly(signed_in, gates_open, working_counselor, data):
    counselor_a = working_counselor
    submit(signed_in, f"/sessions/book/{counselor_a.pk}/", data)


@BOUNDED
@given(data=hostile_form(["reason", "note"]))
def test_cancelling_refuses_hostile_reasons_cleanly(signed_in, own_session, data):
    submit(signed_in, f"/sessions/{own_session.pk}/cancel/", data)


@BOUNDED
@given(data=hostile_form([]))
def test_an_erasure_request_with_hostile_extras_never_fails(signed_in, data):
    submit(signed_in, "/privacy/erasure/", data)


# --- the staff's forms ---------------------------------------------------------------------------------------


AVAILABILITY_FIELDS = ["weekday", "start_time", "end_time", "date", "kind"]


@BOUNDED
@given(data=hostile_form(AVAILABILITY_FIELDS, extra={"form": st.sampled_from(["weekly", "exception", "<x>"])}))
def test_availability_refuses_hostile_input_cleanly(staff, counselor_a, data):
    submit(staff(counselor_a), "/sessions/availability/", data)


@BOUNDED
@given(data=hostile_form(["destination", "reason"]))
def test_a_referral_with_hostile_text_is_refused_or_shown_escaped(staff, counselor_a, client_a, own_session, data):
    submit(staff(counselor_a), f"/sessions/clients/{client_a.pk}/", data)


@BOUNDED
@given(data=hostile_form(["actions", "note"], extra={"actions": st.sampled_from(["wrote", ["wrote", "x"], ""])}))
def test_a_dropped_session_record_with_hostile_input_is_refused_or_shown_escaped(staff, counselor_a, own_session, data):
    from sessions.models import SessionDrop

    drop, _ = SessionDrop.objects.get_or_create(session=own_session, away_since=own_session.starts_at)
    submit(staff(counselor_a), f"/sessions/drops/{drop.pk}/record/", data)


LICENCE_FIELDS = ["issuing_body", "kind", "number", "scope", "valid_from", "expires_on"]


@BOUNDED
@given(data=hostile_form(LICENCE_FIELDS), with_file=st.booleans())
def test_licence_submission_refuses_hostile_input_cleanly(staff, counselor_a, data, with_file):
    from django.core.files.uploadedfile import SimpleUploadedFile

    body = factories.body()
    data = {**data, "issuing_body": data.get("issuing_body", str(body.pk))}
    if with_file:
        data["evidence"] = SimpleUploadedFile("licence.png", png_bytes(), content_type="image/png")
    submit(staff(counselor_a), "/licensing/mine/", data)


REVIEW_FIELDS = [
    "check-registry_reference",
    "check-registry_finding",
    "check-checked_at",
    "check-decision",
    "check-reason",
    "state-action",
    "state-reason",
    "privilege-agreement",
    "privilege-privilege_number",
    "privilege_id",
    "reason",
]


@BOUNDED
@given(
    data=hostile_form(
        REVIEW_FIELDS, extra={"form": st.sampled_from(["check", "state", "privilege", "revoke-privilege", "<x>"])}
    )
)
def test_licence_verification_refuses_hostile_input_cleanly(staff, admin_user, counselor_a, data):
    from licensing.models import Licence

    licence = Licence.objects.filter(counselor=counselor_a).first() or factories.licence(counselor_a, state="submitted")
    submit(staff(admin_user), f"/licensing/review/{licence.pk}/", data)


@BOUNDED
@given(data=hostile_form(["decision", "reason"]))
def test_identity_review_refuses_hostile_input_cleanly(staff, admin_user, client_a, data):
    from identity.models import IdentityDocument

    document = IdentityDocument.objects.filter(client=client_a).first() or identity_document_upload(
        client=client_a, name="ktp.png", data=png_bytes()
    )
    submit(staff(admin_user), f"/intake/review/{document.pk}/", data)


@BOUNDED
@given(data=hostile_form(["note"]), action=st.sampled_from(["acknowledge", "resolve"]))
def test_escalation_acknowledge_and_resolve_refuse_hostile_notes_or_show_them_escaped(
    staff, client_a, counselor_a, data, action
):
    from crisis.models import Escalation

    escalation = Escalation.objects.filter(client=client_a).first()
    if escalation is None:
        make_session(client_a, counselor_a, country="ID", region="ID-JK")
        escalation, _ = help_request(client=client_a)
    submit(staff(counselor_a), f"/staff/risk/{escalation.pk}/{action}/", data)


@BOUNDED
@given(data=hostile_form(["token", "otp_token", "code"]))
def test_the_second_factor_form_refuses_hostile_input_cleanly(counselor_a, data):
    browser = Client()
    browser.force_login(counselor_a)
    submit(browser, "/accounts/mfa/verify/", data)


# --- the findings above, pinned as plain examples ------------------------------------------------------------


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "javascript:alert(1)"])
def test_confirming_a_location_never_redirects_to_another_site(signed_in, own_session, target):
    response = signed_in.post(
        f"/sessions/{own_session.pk}/location/", {"country": "ID", "region": "ID-YO", "next": target}
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/") and not response["Location"].startswith("//")


def test_a_licence_review_with_a_non_numeric_privilege_id_is_refused_cleanly(staff, admin_user, counselor_a):
    licence = factories.licence(counselor_a, state="submitted")
    response = staff(admin_user).post(
        f"/licensing/review/{licence.pk}/", {"form": "revoke-privilege", "privilege_id": "<script>alert(1)</script>"}
    )
    assert response.status_code in (400, 404)
