"""A counselor applies by themselves; an admin's verified licence puts them in the directory (issue 20, item 1)."""

import io
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from PIL import Image

from counseling.clock import now
from counseling.mfa import passed_with_authenticator
from counseling.models import AuditEntry, Role, User
from licensing.models import LicenceState
from licensing.selectors import counselor_application, counselor_applications
from licensing.services import licence_verify
from tests.conftest import confirmed_totp_device
from tests.counseling.test_identity_documents_sniffing import pdf_bytes, png_bytes
from tests.licensing.factories import licence

pytestmark = pytest.mark.django_db

APPLY = {
    "email": "dewi@counselors.test",
    "display_name": "Dewi Lestari, M.Psi.",
    "professional_title": "Psikolog Klinis",
    "practice_location": "Bandung, Indonesia",
    "practice_country": "id",
    "time_zone": "Asia/Jakarta",
    "language": "en",
    "password1": "kopi-tubruk-di-pagi-hari",
    "password2": "kopi-tubruk-di-pagi-hari",
}

PROFILE = {
    "display_name": "Dewi Lestari, M.Psi.",
    "professional_title": "Psikolog Klinis",
    "bio": "Ten years with adolescents and families.",
    "languages": ["id", "jv"],
    "specialities": "anxiety,  grief , ",
    "approach": "Cognitive behavioural therapy, person-centred.",
    "practice_location": "Bandung, Indonesia",
    "time_zone": "Asia/Jakarta",
}


def apply(client, capture) -> User:
    with capture(execute=True):
        response = client.post(reverse("counselor_signup"), APPLY)
    assert response.url == reverse("signup_sent")
    return User.objects.get(email=APPLY["email"])


def photo_with_exif() -> bytes:
    image = Image.new("RGB", (1600, 1200), (200, 120, 80))
    exif = Image.Exif()
    exif[0x010F] = "SecretCamera"  # Make
    exif[0x0132] = "2026:01:01 10:00:00"  # DateTime
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_a_counselor_applies_and_must_confirm_the_address_first(client, mailoutbox, django_capture_on_commit_callbacks):
    counselor = apply(client, django_capture_on_commit_callbacks)
    assert counselor.role == Role.COUNSELOR and not counselor.is_staff and not counselor.is_superuser
    assert counselor.email_verified_at is None
    assert counselor.language == "en"
    profile = counselor.counselor_profile
    assert (profile.display_name, profile.practice_country, profile.languages) == ("Dewi Lestari, M.Psi.", "ID", "en")
    assert AuditEntry.objects.filter(action="account.counselor_applied", actor_id=counselor.pk).exists()
    assert [m.to for m in mailoutbox] == [[APPLY["email"]]]

    client.force_login(counselor)
    for name in ("counselor_home", "licensing:my_licences", "counselor_profile_edit", "licensing:application"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response.url == reverse("email_verify_pending"), name

    path = re.search(r"(/accounts/verify-email/[^\s]+/)", mailoutbox[0].body).group(1)
    assert client.post(path).url == reverse("dashboard")
    # Confirmed: next comes the second factor, before any counselor page.
    assert client.get(reverse("licensing:my_licences")).url.startswith(reverse("mfa:setup"))


def test_the_application_form_refuses_bad_input_with_a_clear_message(client):
    response = client.post(reverse("counselor_signup"), {**APPLY, "practice_country": "1X"})
    assert response.status_code == 200
    assert "Enter the two-letter country code" in response.content.decode()
    response = client.post(reverse("counselor_signup"), {**APPLY, "password2": "something-else-entirely"})
    assert "The two passwords do not match." in response.content.decode()
    assert not User.objects.exists()


def test_the_application_cannot_make_an_admin(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("counselor_signup"), {**APPLY, "role": "admin", "is_staff": "on", "is_superuser": "on"})
    user = User.objects.get(email=APPLY["email"])
    assert (user.role, user.is_staff, user.is_superuser) == (Role.COUNSELOR, False, False)


def test_a_counselor_fills_in_their_profile_with_a_photo_stripped_of_its_metadata(client, counselor_a, staff_login):
    staff_login(client, counselor_a)
    upload = SimpleUploadedFile("me.jpg", photo_with_exif(), content_type="image/jpeg")
    response = client.post(reverse("counselor_profile_edit"), {**PROFILE, "photo": upload})
    assert response.status_code == 302
    profile = counselor_a.counselor_profile
    profile.refresh_from_db()
    assert profile.bio == PROFILE["bio"]
    assert profile.languages == "id,jv"
    assert profile.specialities == "anxiety, grief"
    assert profile.approach.startswith("Cognitive")
    with Image.open(io.BytesIO(bytes(profile.photo))) as kept:
        assert kept.format == "JPEG"
        assert max(kept.size) <= 480
        assert not kept.getexif()
    assert b"SecretCamera" not in bytes(profile.photo)
    entry = AuditEntry.objects.get(action="account.counselor_profile_changed", actor_id=counselor_a.pk)
    assert "photo" in entry.detail["fields"] and "bio" in entry.detail["fields"]
    assert "Ten years" not in str(entry.detail)

    page = client.get(reverse("counselor_profile_edit")).content.decode()
    assert 'src="data:image/jpeg;base64,' in page
    client.post(reverse("counselor_profile_edit"), {**PROFILE, "photo_remove": "on"})
    profile.refresh_from_db()
    assert not profile.photo


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("scan.pdf", pdf_bytes(), "Please choose a photo: a .jpg or .png file."),
        ("me.jpg", png_bytes(body=10), "content does not match its name"),
        ("huge.png", png_bytes(width=20000, height=20000), "The photo has too many pixels."),
    ],
)
def test_a_photo_that_is_not_a_plain_image_is_refused(client, counselor_a, staff_login, name, data, message):
    staff_login(client, counselor_a)
    upload = SimpleUploadedFile(name, data)
    response = client.post(reverse("counselor_profile_edit"), {**PROFILE, "photo": upload})
    assert response.status_code == 200
    assert message in response.content.decode()
    counselor_a.counselor_profile.refresh_from_db()
    assert not counselor_a.counselor_profile.photo
    assert counselor_a.counselor_profile.bio == ""


def test_the_profile_needs_a_language_and_a_speciality(client, counselor_a, staff_login):
    staff_login(client, counselor_a)
    response = client.post(reverse("counselor_profile_edit"), {**PROFILE, "languages": [], "specialities": " , "})
    page = response.content.decode()
    assert "Choose at least one language." in page and "Name at least one speciality." in page


def test_only_a_counselor_edits_a_profile_and_only_their_own(client, client_a, admin_user, counselor_b, staff_login):
    client.force_login(client_a)
    assert client.get(reverse("counselor_profile_edit")).status_code == 403
    staff_login(client, admin_user)
    assert client.get(reverse("counselor_profile_edit")).status_code == 403
    staff_login(client, counselor_b)
    client.post(reverse("counselor_profile_edit"), {**PROFILE, "user": "1", "counselor": "1"})
    assert counselor_b.counselor_profile.__class__.objects.get(user=counselor_b).bio == PROFILE["bio"]
    assert not counselor_b.counselor_profile.__class__.objects.exclude(user=counselor_b).filter(bio=PROFILE["bio"])


def test_an_applicant_appears_in_the_directory_only_after_an_admin_verifies_a_licence(
    client, counselor_a, admin_user, staff_login
):
    today = now().date()
    submitted = licence(
        counselor_a,
        "ID",
        state=LicenceState.SUBMITTED,
        number="STR-NEW",
        valid_from=today - timedelta(days=10),
        expires_on=today + timedelta(days=700),
    )
    assert "Counselor A" not in client.get(reverse("licensing:directory")).content.decode()
    application = counselor_application(counselor=counselor_a, at=now())
    assert application.state == "second_factor"  # the factory's counselor has no authenticator yet
    confirmed_totp_device(counselor_a)
    assert counselor_application(counselor=counselor_a, at=now()).state == "licence_review"

    licence_verify(
        licence=submitted,
        admin=admin_user,
        registry_reference="https://himpsi.or.id/ STR-NEW",
        registry_finding="Active",
        checked_at=now(),
        reason="",
    )
    assert "Counselor A" in client.get(reverse("licensing:directory")).content.decode()
    assert counselor_application(counselor=counselor_a, at=now()).listed
    assert counselor_a.pk not in [row.counselor.pk for row in counselor_applications(at=now())]


def test_admins_see_applications_with_their_state_and_links_to_review(
    client, counselor_a, counselor_b, admin_user, staff_login
):
    today = now().date()
    licence(
        counselor_b,
        "US-TX",
        kind="us_lpc",
        valid_from=today - timedelta(days=5),
        expires_on=today + timedelta(days=300),
    )
    pending = licence(
        counselor_a, "ID", state=LicenceState.SUBMITTED, valid_from=today, expires_on=today + timedelta(days=300)
    )
    unverified = User.objects.create_user(
        email="new@counselors.test", password="x-long-password-1", role=Role.COUNSELOR
    )
    from counseling.models import CounselorProfile

    CounselorProfile.objects.create(
        user=unverified, display_name="Newcomer", professional_title="Konselor", practice_location="Solo"
    )
    staff_login(client, admin_user)
    page = client.get(reverse("licensing:applications")).content.decode()
    assert "Counselor A" in page and "Newcomer" in page
    assert "Counselor B" not in page  # listed in the directory: not an application
    assert "Waiting for the e-mail address to be confirmed" in page
    assert "Waiting for the second factor to be set up" in page
    assert reverse("licensing:review", args=[pending.pk]) in page
    assert AuditEntry.objects.filter(action="licence.applications_viewed", actor_id=admin_user.pk).exists()


@pytest.mark.parametrize("persona", ["client_a", "counselor_a"])
def test_only_admins_see_the_applications(client, request, staff_login, persona):
    staff_login(client, request.getfixturevalue(persona))
    assert client.get(reverse("licensing:applications")).status_code == 403


def test_the_counselor_sees_their_own_checklist_and_the_caseload_points_to_it(client, counselor_a, staff_login):
    staff_login(client, counselor_a)
    page = client.get(reverse("licensing:application")).content.decode()
    assert "No licence submitted yet" in page
    assert reverse("licensing:my_licences") in page and reverse("counselor_profile_edit") in page
    home = client.get(reverse("counselor_home")).content.decode()
    assert "Clients cannot find you yet." in home and reverse("licensing:application") in home


def test_the_authenticator_this_request_passed_answers_for_the_second_factor_and_a_recovery_code_does_not(
    counselor_a, counselor_b
):
    authenticator = confirmed_totp_device(counselor_a)
    counselor_a.otp_device = authenticator  # as django_otp's middleware sets it for the request
    assert passed_with_authenticator(counselor_a)
    assert counselor_application(counselor=counselor_a, at=now()).second_factor
    counselor_b.otp_device = authenticator  # not theirs
    assert not passed_with_authenticator(counselor_b)
    assert counselor_application(counselor=counselor_b, at=now()).state == "second_factor"
    counselor_b.otp_device = StaticDevice.objects.create(user=counselor_b, name="recovery codes", confirmed=True)
    assert not passed_with_authenticator(counselor_b)
    assert counselor_application(counselor=counselor_b, at=now()).state == "second_factor"
    authenticator.confirmed = False
    assert not passed_with_authenticator(counselor_a)


def test_the_own_application_is_what_the_applications_read_gives_for_that_counselor(
    counselor_a, counselor_b, django_assert_num_queries
):
    """counselor_application's statements are composed once (counseling.statements): for any counselor it gives the
    application _application_rows gives, its licences as the prefetch keeps them (each with its issuing body,
    jurisdiction and counselor, nothing more to read)."""
    from licensing.models import Licence
    from licensing.selectors import _application_rows

    licence(counselor_a, "ID", number="STR-1")
    licence(counselor_a, "ID", state=LicenceState.SUBMITTED, number="STR-2")
    Licence.objects.filter(number="STR-2").update(submitted_at=now() - timedelta(days=3))
    confirmed_totp_device(counselor_b)

    def seen(application):
        return (
            application.counselor.pk,
            application.counselor.get_deferred_fields(),
            application.counselor.counselor_profile.display_name,
            (application.email_verified, application.second_factor, application.profile_complete, application.listed),
            [
                (
                    row.pk,
                    row.number,
                    row.state,
                    row.counselor_has_privileges,
                    row.get_deferred_fields(),
                    row.issuing_body.pk,
                    row.jurisdiction.country,
                    row.counselor is application.counselor,
                )
                for row in application.licences
            ],
        )

    for counselor in (counselor_a, counselor_b):
        expected = seen(
            _application_rows(User.objects.filter(pk=counselor.pk, counselor_profile__isnull=False), at=now())[0]
        )
        with django_assert_num_queries(3):  # the counselor, their licences, their authenticator
            assert seen(counselor_application(counselor=counselor, at=now())) == expected
    assert len(seen(counselor_application(counselor=counselor_a, at=now()))[4]) == 2
