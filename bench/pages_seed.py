"""The cast of the page benchmark and of the page query-count tests, grown with bulk inserts.

`pages_cast_seed()` is the demo's cast (dashboards.demo: a ready client, Ayu, with her counselor, Sari, and
an admin), plus a session Ayu has booked with Sari and confirmed where she will be for, their conversation and
one open escalation.
`pages_cast_grow()` then adds, in a few bulk inserts each, what makes a page slow when it is written badly:
clients in Sari's caseload (each with a session, a conversation, an unread message), counselors in the
directory (Sari's licences and working hours, copied), messages in Ayu's conversation with Sari (really
sealed, so a page or socket that opens them pays the real cost) and open escalations in the risk queue.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Max
from django.urls import reverse

from counseling.clock import now
from counseling.crypto import data_key_for, seal_with
from counseling.models import ClientProfile, CounselorProfile, Role, User
from crisis.models import Escalation
from dashboards.demo import demo_seed
from licensing.models import Licence
from sessions.models import Conversation, CounselingSession, Message, WeeklyAvailability
from sessions.services import session_location_confirm


@dataclass
class PagesCast:
    client: User  # Ayu: consented, intake done, identity verified
    counselor: User  # Sari: licensed in Indonesia, in the directory, Ayu's counselor
    admin: User
    conversation: Conversation  # Ayu and Sari's
    session: CounselingSession  # Ayu's next session with Sari


def pages_cast_seed() -> PagesCast:
    """The demo's cast with a booked session, a conversation and one open escalation (idempotent)."""
    demo_seed()
    client = User.objects.get(email="client.ayu@demo.test")
    counselor = User.objects.get(email="counselor.sari@demo.test")
    admin = User.objects.get(email="admin@demo.test")
    with transaction.atomic():
        conversation, _ = Conversation.objects.get_or_create(client=client, counselor=counselor)
        session = CounselingSession.objects.filter(client=client, counselor=counselor, state="scheduled").first()
        if session is None:
            start = (now() + timedelta(days=3)).replace(hour=3, minute=0, second=0, microsecond=0)  # 10:00 in Jakarta
            session = CounselingSession.objects.create(
                client=client,
                counselor=counselor,
                starts_at=start,
                ends_at=start + timedelta(minutes=50),
                client_time_zone="Asia/Jakarta",
                counselor_time_zone="Asia/Jakarta",
            )
        if session.location_confirmed_at is None:
            # Where she will be for it: her chat with Sari is then open between sessions too
            # (sessions.selectors.conversation_gate), so the chat page measured is the conversation itself, not
            # the card that asks her to confirm where she is.
            session = session_location_confirm(session=session, client=client, country="ID", region="ID-YO")
        Escalation.objects.get_or_create(
            dedupe_key=f"pages-bench:{client.pk}",
            defaults={"client": client, "counselor": counselor, "kind": "help_button", "severity": 3},
        )
    return PagesCast(client=client, counselor=counselor, admin=admin, conversation=conversation, session=session)


def pages_measured(cast: PagesCast) -> list[tuple[str, User, str]]:
    """(name, who looks, path) of every page measured: by bench/pages_bench.py, and in tests/test_page_queries.py."""
    return [
        ("client home", cast.client, reverse("client_home")),
        ("caseload", cast.counselor, reverse("counselor_home")),
        ("directory", cast.client, reverse("licensing:directory")),
        ("booking slots", cast.client, reverse("sessions:booking_slots", args=[cast.counselor.pk])),
        ("chat", cast.client, reverse("sessions:conversation_chat", args=[cast.conversation.pk])),
        ("risk queue", cast.counselor, reverse("escalation:queue")),
        ("staff home", cast.admin, reverse("staff_home")),
    ]


def pages_cast_grow(
    cast: PagesCast, *, clients: int = 0, counselors: int = 0, messages: int = 0, escalations: int = 0
) -> None:
    """Add that many clients to the counselor's caseload, counselors to the directory, messages to the
    client's conversation and open escalations (of the new clients) to the risk queue, in bulk."""
    with transaction.atomic():
        if clients:
            _clients_add(cast, clients, escalations=escalations)
        if counselors:
            _counselors_add(cast, counselors)
        if messages:
            _messages_add(cast, messages)


def _next_number(prefix: str) -> int:
    return User.objects.filter(email__startswith=prefix).count()


def _clients_add(cast: PagesCast, count: int, *, escalations: int) -> None:
    first = _next_number("pages-client-")
    users = User.objects.bulk_create(
        [
            User(email=f"pages-client-{first + i}@bench.test", role=Role.CLIENT, password="!", email_verified_at=now())
            for i in range(count)
        ]
    )
    ClientProfile.objects.bulk_create(
        [ClientProfile(user=u, display_name=f"Client {first + i:04d}") for i, u in enumerate(users)]
    )
    # One session each, an hour apart (a counselor's sessions never overlap): half held, half to come.
    latest = CounselingSession.objects.filter(counselor=cast.counselor).aggregate(Max("ends_at"))["ends_at__max"]
    base = max(latest or now(), now()).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    sessions = []
    for i, user in enumerate(users):
        if i % 2:
            start = now().replace(minute=0, second=0, microsecond=0) - timedelta(days=1, hours=first + i)
            state = "completed"
        else:
            start, state = base + timedelta(hours=i), "scheduled"
        sessions.append(
            CounselingSession(
                client=user,
                counselor=cast.counselor,
                starts_at=start,
                ends_at=start + timedelta(minutes=50),
                state=state,
            )
        )
    CounselingSession.objects.bulk_create(sessions)
    conversations = Conversation.objects.bulk_create(
        [Conversation(client=u, counselor=cast.counselor, last_seq=1) for u in users]
    )
    Message.objects.bulk_create(
        [
            Message(conversation=c, sender_id=c.client_id, seq=1, client_msg_id=uuid.uuid4(), body_sealed=b"x")
            for c in conversations
        ]
    )
    Escalation.objects.bulk_create(
        [
            Escalation(
                client=u,
                counselor=cast.counselor,
                kind="help_button",
                severity=3,
                dedupe_key=f"pages-bench:{u.pk}",
            )
            for u in users[:escalations]
        ]
    )


def _counselors_add(cast: PagesCast, count: int) -> None:
    first = _next_number("pages-counselor-")
    profile = cast.counselor.counselor_profile
    users = User.objects.bulk_create(
        [
            User(
                email=f"pages-counselor-{first + i}@bench.test",
                role=Role.COUNSELOR,
                password="!",
                email_verified_at=now(),
            )
            for i in range(count)
        ]
    )
    CounselorProfile.objects.bulk_create(
        [
            CounselorProfile(
                user=u,
                display_name=f"Counselor {first + i:04d}",
                professional_title=profile.professional_title,
                languages=profile.languages,
                time_zone=profile.time_zone,
                practice_location=profile.practice_location,
                practice_country=profile.practice_country,
                bio=profile.bio,
            )
            for i, u in enumerate(users)
        ]
    )
    licences = list(Licence.objects.filter(counselor=cast.counselor))
    copies = []
    for user in users:
        for licence in licences:
            copy = Licence.objects.get(pk=licence.pk)
            copy.pk, copy.counselor = None, user
            copy.number = f"{licence.number}-{user.pk}"
            copies.append(copy)
    Licence.objects.bulk_create(copies)
    hours = list(WeeklyAvailability.objects.filter(counselor=cast.counselor))
    WeeklyAvailability.objects.bulk_create(
        [
            WeeklyAvailability(counselor=user, weekday=h.weekday, start_time=h.start_time, end_time=h.end_time)
            for user in users
            for h in hours
        ]
    )


def _messages_add(cast: PagesCast, count: int) -> None:
    conversation = Conversation.objects.select_for_update().get(pk=cast.conversation.pk)
    data_key = data_key_for(owner_id=conversation.client_id)
    start = now() - timedelta(seconds=count)
    rows = []
    for i in range(count):
        seq = conversation.last_seq + 1 + i
        sender = conversation.client_id if i % 2 else conversation.counselor_id
        message = Message(
            conversation=conversation,
            sender_id=sender,
            seq=seq,
            client_msg_id=uuid.uuid4(),
            created_at=start + timedelta(seconds=i),
            read_at=start + timedelta(seconds=i + 1),
            answered_at=start + timedelta(seconds=i + 1) if sender == conversation.client_id else None,
        )
        message.body_sealed = seal_with(
            data_key=data_key, plaintext=f"message {seq} of the benchmark".encode(), context=message.aad
        )
        rows.append(message)
    Message.objects.bulk_create(rows, batch_size=1000)
    conversation.last_seq += count
    conversation.save(update_fields=["last_seq"])
    cast.conversation = conversation
