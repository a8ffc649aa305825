"""Demo cast for the embedded default: accounts, licences, working hours, and one client ready to chat."""

import io

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice
from PIL import Image

from consent.models import ELEMENT_KEYS
from consent.rendering import consent_render
from consent.selectors import consent_gate, consent_version_in_force
from consent.services import consent_accept
from counseling.clock import now
from counseling.models import ClientProfile, CounselorProfile, Role, User
from identity.models import IdentityDocument, IdentityDocumentStatus, Intake
from identity.services import identity_document_review, identity_document_upload, intake_submit
from licensing.demo import demo_licences_seed
from sessions.demo import demo_acceptance_seed, demo_availability_seed, demo_request_seed

# The demo's secrets are public by design and written in the README ("Two commands"); seed_demo never prints
# them, so they never reach a server log (a habit a real deployment's secrets must not learn otherwise).
DEMO_PASSWORD = "demo-pass-2026"
DEMO_CODE_WORD = "melati putih"  # client.ayu's code word, asked at the start of each session

COUNSELORS = [
    {
        "email": "counselor.sari@demo.test",
        "display_name": "Sari Wulandari, M.Psi.",
        "professional_title": "Psikolog Klinis (Clinical psychologist)",
        "languages": "id,en",
        "time_zone": "Asia/Jakarta",
        "practice_location": "Jl. Kaliurang KM 5, Yogyakarta, Indonesia",
        "practice_country": "ID",
        "bio": "Anxiety, grief and work stress; CBT-informed.",
    },
    {
        "email": "counselor.ben@demo.test",
        "display_name": "Ben Hartono, LPC",
        "professional_title": "Licensed Professional Counselor",
        "languages": "en,id",
        "time_zone": "America/Chicago",
        "practice_location": "Austin, Texas, United States",
        "practice_country": "US",
        "bio": "Relationships and life transitions.",
    },
]
CLIENTS = [
    {
        "email": "client.ayu@demo.test",
        "display_name": "Ayu",
        "preferred_language": "id",
        "time_zone": "Asia/Jakarta",
        "note": "client in Indonesia",
    },
    {
        "email": "client.dewi@demo.test",
        "display_name": "Dewi",
        "preferred_language": "id",
        "time_zone": "Asia/Jakarta",
        "note": "new client in Indonesia, her request waits for Sari's answer",
    },
    {
        "email": "client.maya@demo.test",
        "display_name": "Maya",
        "preferred_language": "en",
        "time_zone": "America/Chicago",
        "note": "client in the United States",
    },
]


def demo_seed() -> list[tuple[str, str, str]]:
    accounts = []
    with transaction.atomic():
        admin, created = User.objects.get_or_create(
            email="admin@demo.test",
            defaults={"role": Role.ADMIN, "is_staff": True, "is_superuser": True, "email_verified_at": now()},
        )
        if created:
            admin.set_password(DEMO_PASSWORD)
            admin.save(update_fields=["password"])
        accounts.append(("admin", admin.email, "verifies licences and identity"))
        for data in COUNSELORS:
            data = dict(data)
            email = data.pop("email")
            user, created = User.objects.get_or_create(
                email=email, defaults={"role": Role.COUNSELOR, "email_verified_at": now()}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            CounselorProfile.objects.get_or_create(user=user, defaults=data)
            accounts.append(("counselor", email, data["professional_title"]))
        for data in CLIENTS:
            data = dict(data)
            email, note = data.pop("email"), data.pop("note")
            user, created = User.objects.get_or_create(
                email=email, defaults={"role": Role.CLIENT, "email_verified_at": now()}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            ClientProfile.objects.get_or_create(user=user, defaults=data)
            accounts.append(("client", email, note))
        # Licences for the two demo counselors, verified by the demo admin (licensing/demo.py).
        demo_licences_seed(
            admin=admin,
            sari=User.objects.get(email="counselor.sari@demo.test"),
            ben=User.objects.get(email="counselor.ben@demo.test"),
        )
        # Working hours for booking (sessions/demo.py).
        demo_availability_seed(counselors=User.objects.filter(role=Role.COUNSELOR, email__endswith="@demo.test"))
        demo_second_factors_seed(
            staff=User.objects.filter(role__in=[Role.ADMIN, Role.COUNSELOR], email__endswith="@demo.test")
        )
        sari = User.objects.get(email="counselor.sari@demo.test")
        ayu = User.objects.get(email="client.ayu@demo.test")
        demo_client_onboard(client=ayu, counselor=sari, admin=admin)
        # Sari took Ayu on (her first request was accepted): Ayu books ordinary sessions with her.
        demo_acceptance_seed(client=ayu, counselor=sari)
        # Dewi is new: ready, but she cannot be somewhere private for sessions, so her screen did not pass. Her
        # first request waits for Sari, who reads the intake and accepts (with a written reason) or refers her.
        dewi = User.objects.get(email="client.dewi@demo.test")
        demo_client_onboard(
            client=dewi,
            counselor=sari,
            admin=admin,
            answers={
                "legal_name": "Dewi Anggraini (demo)",
                "date_of_birth": "1999-09-03",
                "phone": "+62 813 0000 0000",
                "region": "ID-JK",
                "emergency_contact_name": "Budi Santoso",
                "emergency_contact_relation": "suami",
                "emergency_contact_phone": "+62 813 1111 1111",
                "other_providers": "Dokter umum di puskesmas",
                "suitable_private": "",
            },
        )
        demo_request_seed(client=dewi, counselor=sari)
    return accounts


def demo_second_factors_seed(*, staff) -> None:
    """Demo staff get an authenticator at once; `manage.py demo_otp EMAIL` prints its current code."""
    for user in staff:
        if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            TOTPDevice.objects.create(user=user, name="demo authenticator", confirmed=True)


# The smallest valid PNG (1x1 pixel): the demo's "ID document".
def _demo_id_png() -> bytes:
    """A blank grey card: a real image, as the upload check re-encodes what it keeps (counseling.documents)."""
    out = io.BytesIO()
    Image.new("L", (320, 200), 216).save(out, format="PNG")
    return out.getvalue()


DEMO_ID_PNG = _demo_id_png()


def demo_client_onboard(*, client, counselor, admin, answers: dict | None = None) -> None:
    """Ayu (and Dewi) have done everything before a first session (consent, intake, verified ID); Maya has not,
    so the demo shows both a ready client and the onboarding from the start. `answers`: where this client's intake
    differs from Ayu's."""
    version = consent_version_in_force(language="id")
    if version is not None and not consent_gate(client=client, counselor=counselor):
        consent_accept(
            client=client,
            version=version,
            counselor=counselor,
            acknowledged=list(ELEMENT_KEYS),
            shown_sha256=consent_render(version=version, counselor=counselor).sha256,
        )
    if not Intake.objects.filter(client=client).exists():
        intake_submit(
            client=client,
            emergency_contact_authorised=True,
            code_word=DEMO_CODE_WORD,
            answers={
                "legal_name": "Ayu Lestari (demo)",
                "date_of_birth": "1996-04-12",
                "phone": "+62 812 0000 0000",
                "country": "ID",
                "region": "ID-YO",
                "emergency_contact_name": "Rina Lestari",
                "emergency_contact_relation": "kakak",
                "emergency_contact_phone": "+62 812 1111 1111",
                "other_providers": "",
                "connection_drop_plan": "Saya akan menunggu 5 menit lalu membuka ulang obrolan.",
                "suitable_text": "yes",
                "suitable_private": "yes",
                "suitable_language": "yes",
            }
            | (answers or {}),
        )
    if not IdentityDocument.objects.filter(client=client, status=IdentityDocumentStatus.VERIFIED).exists():
        document = identity_document_upload(client=client, name="ktp-demo.png", data=DEMO_ID_PNG)
        identity_document_review(document=document, reviewer=admin, verified=True)
