"""The counselor hears of a client's message between sessions beyond the notice on their open pages, which
sessions.chat.services sends as the message is stored: an e-mail, batched, and a reminder before the promised
reply time runs out. Both are writes (services) of the beat jobs in sessions.tasks, apart from the chat's socket
services, which the task module need not load.

The e-mails say that something is waiting and link to it, never what was written and never who wrote it
(counseling.mail); the reminder on the page names the pseudonym the counselor sees everywhere.
"""

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from counseling.clock import now
from counseling.mail import email_person
from counseling.models import User
from counseling.notifications import notify_user_on_commit
from sessions.chat.events import reply_due_notice
from sessions.chat.selectors import (
    counselor_emailed_since,
    counselors_to_email_about_messages,
    messages_awaiting_email,
    replies_due_soon,
)
from sessions.models import Conversation, Message
from sessions.selectors import counselor_zone

log = logging.getLogger(__name__)


def message_emails_send(*, at: datetime | None = None) -> int:
    """E-mail each counselor whose clients wrote between sessions how many clients did (never what or who), at
    most once per MESSAGE_NOTICE_EMAIL_MINUTES; messages that arrive meanwhile wait for the next e-mail.
    Returns how many e-mails went. Safe to run twice, or in two workers at once (_message_email_send)."""
    at = at or now()
    since = at - timedelta(minutes=settings.MESSAGE_NOTICE_EMAIL_MINUTES)
    sent = 0
    for counselor_id in counselors_to_email_about_messages(since=since):
        try:
            sent += _message_email_send(counselor_id=counselor_id, since=since, at=at)
        except Exception:  # one counselor's mail server must not keep the others' e-mails back
            log.exception("E-mail about new messages to counselor %s failed; the next run tries again", counselor_id)
    return sent


def _message_email_send(*, counselor_id: int, since: datetime, at: datetime) -> int:
    """One counselor's e-mail about new messages, or none if another run sent one inside the window."""
    with transaction.atomic():
        # The counselor's row lock puts concurrent runs in a line (PostgreSQL; SQLite has one writer at a time),
        # so the second sees the first's e-mail inside the window. The messages are claimed by the conditional
        # update on their counselor_emailed_at: a message is counted in one e-mail at most.
        if not list(User.objects.select_for_update().filter(pk=counselor_id, is_active=True).values_list("pk")):
            return 0
        if counselor_emailed_since(counselor_id=counselor_id, since=since):
            return 0
        rows = list(messages_awaiting_email(counselor_id=counselor_id).values_list("pk", "conversation__client_id"))
        message_ids = [message_id for message_id, _client_id in rows]
        if not Message.objects.filter(pk__in=message_ids, counselor_emailed_at__isnull=True).update(
            counselor_emailed_at=at
        ):
            return 0
    clients = len({client_id for _message_id, client_id in rows})
    counselor = User.objects.select_related("counselor_profile").get(pk=counselor_id)
    try:
        email_person(
            recipient=counselor,
            subject=lambda: _("New messages from your clients"),
            body=lambda link: (
                ngettext(
                    "You have new messages from %(n)s client. Read and answer them here: %(link)s\n\n"
                    "This e-mail holds no client data; sign in to see it.",
                    "You have new messages from %(n)s clients. Read and answer them here: %(link)s\n\n"
                    "This e-mail holds no client data; sign in to see it.",
                    clients,
                )
                % {"n": clients, "link": link}
            ),
            link_path=reverse("sessions:chat_list"),
            on_commit=False,
            fail_silently=False,
        )
    except Exception:
        # Not sent: give the messages back, so that the next run, a minute later, tries again.
        Message.objects.filter(pk__in=message_ids, counselor_emailed_at=at).update(counselor_emailed_at=None)
        raise
    return 1


def reply_reminders_send(*, at: datetime | None = None, limit: int = 500) -> int:
    """Remind each counselor, REPLY_REMINDER_MINUTES_BEFORE a promised reply time runs out, on their open pages
    (with the pseudonym) and by e-mail (without it); never what was written. One reminder per conversation for
    its messages due in that time; each message is claimed by a conditional update on reply_reminded_at, so it
    is reminded of once at most, however often and wherever the job runs. A counselor's reply (answered_at)
    ends the wait, and with it the reminder. Returns how many reminders went."""
    at = at or now()
    due: dict[int, list[int]] = defaultdict(list)
    window = timedelta(minutes=settings.REPLY_REMINDER_MINUTES_BEFORE)
    for message_id, conversation_id in replies_due_soon(at=at, within=window)[:limit]:
        due[conversation_id].append(message_id)
    sent = 0
    for conversation_id, message_ids in due.items():
        with transaction.atomic():
            if not Message.objects.filter(
                pk__in=message_ids, reply_reminded_at__isnull=True, awaiting_reply=True
            ).update(reply_reminded_at=at):
                continue
            due_at = (
                Message.objects.filter(pk__in=message_ids, reply_reminded_at=at)
                .order_by("reply_due_at")
                .values_list("reply_due_at", flat=True)
                .first()
            )
            conversation = Conversation.objects.select_related(
                "client__client_profile", "counselor__counselor_profile"
            ).get(pk=conversation_id)
            counselor = conversation.counselor
            if due_at is None or not counselor.is_active:
                continue
            zone = counselor_zone(counselor)
            notify_user_on_commit(
                user_id=counselor.pk, payload=reply_due_notice(conversation=conversation, due_at=due_at, zone=zone)
            )
            local = due_at.astimezone(zone)
            email_person(
                recipient=counselor,
                subject=lambda: _("A reply you promised is due soon"),
                body=lambda link, local=local, zone=zone: (
                    _(
                        "A client's message is still waiting for your reply, and the reply time you promised runs out "
                        "at %(time)s (%(zone)s). Open the conversation: %(link)s\n\n"
                        "This e-mail holds no client data; sign in to see it."
                    )
                    % {"time": local.strftime("%H:%M"), "zone": zone.key, "link": link}
                ),
                link_path=reverse("sessions:conversation_chat", args=[conversation_id]),
            )
            sent += 1
    return sent
