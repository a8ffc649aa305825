"""Writes of breach response: open an incident, confirm who is affected, edit and send the notices, record the
authority's notice, remind admins as the clocks run. Every step is in the audit log."""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from counseling.audit import audit_record
from counseling.clock import now
from counseling.mail import email_person, language_of
from counseling.models import Role, User
from counseling.notifications import notify_user_on_commit
from incidents.models import AffectedClient, AuthorityNotice, ClientNotice, ClockReminder, Incident, Law
from incidents.selectors import Clock, affected_candidates, client_gdpr_place, running_clocks

log = logging.getLogger(__name__)


class IncidentError(Exception):
    """A step refused, with a message for the admin."""


def _admins():
    return User.objects.filter(role=Role.ADMIN, is_active=True)


def _tell_admins(*, incident: Incident, kind: str, title, body, urgent: bool = False) -> None:
    """On every admin's open pages and by e-mail, in their language; names the incident, never a client."""
    path = reverse("incidents:detail", args=[incident.pk])
    for admin in _admins():
        with translation.override(language_of(admin)):
            notice = {"type": kind, "id": incident.pk, "title": title(), "body": body(), "url": path, "link": _("Open")}
            if urgent:
                notice["urgent"] = True
        notify_user_on_commit(user_id=admin.pk, payload=notice)
        email_person(recipient=admin, subject=title, body=lambda link: f"{body()}\n\n{link}", link_path=path)


def incident_open(
    *,
    opened_by,
    detected_at: datetime,
    summary: str,
    occurred_at: datetime | None = None,
    data_involved: str = "",
    measures: str = "",
    client_steps: str = "",
    contact: str = "",
    request=None,
) -> Incident:
    """Open an incident. The clocks run from `detected_at` (when we knew), not from now."""
    at = now()
    if detected_at > at:
        raise IncidentError(_("The time it was detected cannot be in the future."))
    if occurred_at is not None and occurred_at > detected_at:
        raise IncidentError(_("It cannot have happened after it was detected."))
    if not summary.strip():
        raise IncidentError(_("Say what happened."))
    with transaction.atomic():
        incident = Incident.objects.create(
            opened_by=opened_by,
            opened_at=at,
            detected_at=detected_at,
            occurred_at=occurred_at,
            summary=summary.strip(),
            data_involved=data_involved.strip(),
            measures=measures.strip(),
            client_steps=client_steps.strip(),
            contact=(contact or settings.BREACH_CONTACT).strip(),
        )
        audit_record(
            actor=opened_by,
            action="incident.opened",
            target=incident,
            request=request,
            detail={
                "detected_at": detected_at.isoformat(),
                "occurred_at": occurred_at.isoformat() if occurred_at else "",
            },
        )
        _tell_admins(
            incident=incident,
            kind="incident.opened",
            title=lambda: _("Data breach incident #%(id)s opened") % {"id": incident.pk},
            body=lambda: (
                _("Clients and the authority must be told within %(hours)s hours of detection.")
                % {"hours": settings.BREACH_NOTICE_HOURS_UU_PDP}
            ),
            urgent=True,
        )
    return incident


def incident_affected_confirm(
    *,
    incident: Incident,
    window_start: datetime,
    window_end: datetime,
    actions: list[str],
    target_types: list[str],
    shown_client_ids: list[int],
    confirmed_by,
    request=None,
) -> list[AffectedClient]:
    """Record the affected set the admin saw and confirmed. Refused if the audit log now finds another set
    (search again and look). Confirming again adds clients found since; nobody already recorded is removed."""
    if window_end < window_start:
        raise IncidentError(_("The window ends before it starts."))
    clients, _gone = affected_candidates(
        window_start=window_start, window_end=window_end, actions=actions, target_types=target_types
    )
    if sorted(client.pk for client in clients) != sorted(set(shown_client_ids)):
        raise IncidentError(_("The affected clients changed since you looked. Search again and check the list."))
    at = now()
    added = []
    with transaction.atomic():
        known = set(incident.affected.values_list("subject_id", flat=True))
        for client in clients:
            if client.pk in known:
                continue
            country, in_eu = client_gdpr_place(client=client)
            added.append(
                AffectedClient.objects.create(
                    incident=incident,
                    client=client,
                    subject_id=client.pk,
                    country=country,
                    in_eu=in_eu,
                    language=language_of(client),
                )
            )
            audit_record(
                actor=confirmed_by,
                action="incident.client_affected",
                target=incident,
                subject=client,
                request=request,
                detail={"in_eu": in_eu},
            )
        incident.window_start, incident.window_end = window_start, window_end
        incident.actions, incident.target_types = list(actions), list(target_types)
        incident.affected_confirmed_at, incident.affected_confirmed_by = at, confirmed_by
        incident.save(
            update_fields=[
                "window_start",
                "window_end",
                "actions",
                "target_types",
                "affected_confirmed_at",
                "affected_confirmed_by",
            ]
        )
        audit_record(
            actor=confirmed_by,
            action="incident.affected_confirmed",
            target=incident,
            request=request,
            detail={
                "window_start": window_start.isoformat(),
                "window_end": window_end.isoformat(),
                "actions": list(actions),
                "target_types": list(target_types),
                "found": len(clients),
                "added": len(added),
            },
        )
    return added


def incident_client_notice_save(
    *, incident: Incident, language: str, subject: str, body: str, edited_by, request=None
) -> ClientNotice:
    if language not in dict(settings.LANGUAGES):
        raise IncidentError(_("Unknown language."))
    if not subject.strip() or not body.strip():
        raise IncidentError(_("The notice needs a subject and a text."))
    with transaction.atomic():
        notice, _created = ClientNotice.objects.update_or_create(
            incident=incident,
            language=language,
            defaults={"subject": subject.strip(), "body": body.strip(), "edited_by": edited_by, "edited_at": now()},
        )
        audit_record(
            actor=edited_by,
            action="incident.client_notice_saved",
            target=incident,
            request=request,
            detail={"language": language},
        )
    return notice


def incident_client_notices_send(*, incident: Incident, sent_by, request=None) -> tuple[int, int]:
    """E-mail each affected client not yet told the notice saved in their language; returns (sent, failed).

    Each client is claimed by a conditional update before the send, so two admins pressing at once never
    send twice; a failed send gives the claim back, and pressing again retries only those. The e-mail is the
    admin's text for that language, the same for every client: nothing about the client themselves.
    """
    if incident.affected_confirmed_at is None:
        raise IncidentError(_("Confirm the affected clients first."))
    pending = list(incident.affected.filter(notice_sent_at__isnull=True, client__isnull=False).select_related("client"))
    notices = {notice.language: notice for notice in incident.client_notices.all()}
    missing = sorted({row.language for row in pending} - set(notices))
    if missing:
        raise IncidentError(
            _("Review and save the notice in these languages first: %(languages)s")
            % {"languages": ", ".join(str(dict(settings.LANGUAGES)[code]) for code in missing)}
        )
    sent = failed = 0
    for row in pending:
        at = now()
        if not AffectedClient.objects.filter(pk=row.pk, notice_sent_at__isnull=True).update(notice_sent_at=at):
            continue  # another admin's send took this one
        notice = notices[row.language]
        try:
            email_person(
                recipient=row.client,
                subject=lambda notice=notice: notice.subject,
                body=lambda _link, notice=notice: notice.body,
                on_commit=False,
                fail_silently=False,
            )
        except Exception:
            log.warning("Breach notice to affected client %s failed; it can be sent again", row.pk, exc_info=True)
            AffectedClient.objects.filter(pk=row.pk, notice_sent_at=at).update(notice_sent_at=None)
            failed += 1
            continue
        sent += 1
        audit_record(
            actor=sent_by,
            action="incident.client_notified",
            target=incident,
            subject=row.client,
            request=request,
            detail={"language": row.language, "channel": "email"},
        )
    audit_record(
        actor=sent_by,
        action="incident.client_notices_sent",
        target=incident,
        request=request,
        detail={"sent": sent, "failed": failed},
    )
    return sent, failed


def incident_authority_notice_record(
    *,
    incident: Incident,
    law: str,
    authority: str,
    body: str,
    channel: str,
    sent_at: datetime,
    recorded_by,
    reference: str = "",
    request=None,
) -> AuthorityNotice:
    """Record the notice to an authority, which an admin sent outside the platform (portal, e-mail, letter)."""
    if law not in Law.values:
        raise IncidentError(_("Unknown law."))
    if not channel.strip():
        raise IncidentError(_("Say how it was sent (for example the authority's e-mail address or portal)."))
    if not body.strip() or not authority.strip():
        raise IncidentError(_("The notice needs the authority and its text."))
    if sent_at > now():
        raise IncidentError(_("The time it was sent cannot be in the future."))
    try:
        with transaction.atomic():
            notice = AuthorityNotice.objects.create(
                incident=incident,
                law=law,
                authority=authority.strip(),
                body=body.strip(),
                channel=channel.strip(),
                reference=reference.strip(),
                sent_at=sent_at,
                recorded_by=recorded_by,
            )
            audit_record(
                actor=recorded_by,
                action="incident.authority_notified",
                target=incident,
                request=request,
                detail={"law": law, "channel": notice.channel, "sent_at": sent_at.isoformat()},
            )
    except IntegrityError as error:
        raise IncidentError(_("The notice under this law is already recorded.")) from error
    return notice


def _marks_due(clock: Clock) -> list[str]:
    marks = [f"{hours}h" for hours in settings.BREACH_REMINDER_HOURS_LEFT if clock.hours_left <= hours]
    if clock.overdue:
        marks.append("overdue")
    return marks


def _reminder_title(*, incident_id: int, clock: Clock) -> str:
    """In the active language (called inside each admin's)."""
    if clock.overdue:
        return _("Data breach #%(id)s: the %(law)s deadline has passed") % {
            "id": incident_id,
            "law": Law(clock.law).label,
        }
    return _("Data breach #%(id)s: %(hours)s hours left (%(law)s)") % {
        "id": incident_id,
        "hours": max(0, int(clock.hours_left)),
        "law": Law(clock.law).label,
    }


def incident_clock_reminders(*, at: datetime | None = None) -> int:
    """Remind admins of every running clock that passed a mark (hours left, or overdue). Each mark of each clock
    is claimed once by its unique row, so a second run, or two schedulers, never remind twice; marks passed
    together (an incident opened late) give one reminder, the most urgent. Returns how many reminders went."""
    at = at or now()
    reminded = 0
    for incident, clock in running_clocks(at=at):
        # The claims, the audit entry and the notices commit together: a crash between them loses no reminder.
        with transaction.atomic():
            claimed = []
            for mark in _marks_due(clock):
                try:
                    with transaction.atomic():
                        ClockReminder.objects.create(incident=incident, law=clock.law, mark=mark, sent_at=at)
                except IntegrityError:
                    continue
                claimed.append(mark)
            if not claimed:
                continue
            reminded += 1
            audit_record(
                actor=None,
                action="incident.clock_reminder",
                target=incident,
                detail={"law": clock.law, "marks": claimed, "deadline": clock.deadline.isoformat()},
            )
            _tell_admins(
                incident=incident,
                kind="incident.clock",
                title=partial(_reminder_title, incident_id=incident.pk, clock=clock),
                body=lambda: _("Tell the affected clients and the authority, then record it on the incident page."),
                urgent=clock.overdue or clock.hours_left <= 2,
            )
    return reminded
