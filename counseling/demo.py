"""Demo cast for the embedded default. Other apps add their demo data through `demo_seed`'s hooks."""

from django.db import transaction

from counseling.models import ClientProfile, CounselorProfile, Role, User

DEMO_PASSWORD = "demo-pass-2026"

COUNSELORS = [
    {"email": "counselor.sari@demo.test", "display_name": "Sari Wulandari, M.Psi.",
     "professional_title": "Psikolog Klinis (Clinical psychologist)", "languages": "id,en",
     "time_zone": "Asia/Jakarta", "practice_location": "Jl. Kaliurang KM 5, Yogyakarta, Indonesia",
     "practice_country": "ID", "bio": "Anxiety, grief and work stress; CBT-informed."},
    {"email": "counselor.ben@demo.test", "display_name": "Ben Hartono, LPC",
     "professional_title": "Licensed Professional Counselor", "languages": "en,id",
     "time_zone": "America/Chicago", "practice_location": "Austin, Texas, United States",
     "practice_country": "US", "bio": "Relationships and life transitions."},
]
CLIENTS = [
    {"email": "client.ayu@demo.test", "display_name": "Ayu", "preferred_language": "id",
     "time_zone": "Asia/Jakarta", "note": "client in Indonesia"},
    {"email": "client.maya@demo.test", "display_name": "Maya", "preferred_language": "en",
     "time_zone": "America/Chicago", "note": "client in the United States"},
]


def demo_seed() -> list[tuple[str, str, str]]:
    accounts = []
    with transaction.atomic():
        admin, created = User.objects.get_or_create(
            email="admin@demo.test", defaults={"role": Role.ADMIN, "is_staff": True, "is_superuser": True})
        if created:
            admin.set_password(DEMO_PASSWORD)
            admin.save(update_fields=["password"])
        accounts.append(("admin", admin.email, "verifies licences and identity"))
        for data in COUNSELORS:
            data = dict(data)
            email = data.pop("email")
            user, created = User.objects.get_or_create(email=email, defaults={"role": Role.COUNSELOR})
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            CounselorProfile.objects.get_or_create(user=user, defaults=data)
            accounts.append(("counselor", email, data["professional_title"]))
        for data in CLIENTS:
            data = dict(data)
            email, note = data.pop("email"), data.pop("note")
            user, created = User.objects.get_or_create(email=email, defaults={"role": Role.CLIENT})
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            ClientProfile.objects.get_or_create(user=user, defaults=data)
            accounts.append(("client", email, note))
        # Licences for the two demo counselors, verified by the demo admin (licensing/demo.py).
        from licensing.demo import demo_licences_seed

        demo_licences_seed(admin=admin, sari=User.objects.get(email="counselor.sari@demo.test"),
                           ben=User.objects.get(email="counselor.ben@demo.test"))
        # Working hours for booking (sessions/demo.py).
        from sessions.demo import demo_availability_seed

        demo_availability_seed(counselors=User.objects.filter(role=Role.COUNSELOR, email__endswith="@demo.test"))
    return accounts
