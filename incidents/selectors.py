"""Reads of breach incidents: who is affected (from the audit log), the legal clocks, the notice drafts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet, prefetch_related_objects
from django.http import Http404

from counseling.clock import now
from counseling.models import AuditEntry, Role, User
from counseling.statements import composed_for
from incidents.models import AuthorityNotice, Incident, Law
from incidents.notice_text import AUTHORITY_NOTICE, CLIENT_NOTICE
from sessions.selectors import client_confirmed_places, client_location

# Where GDPR's 72 hours apply: the EU and the rest of the EEA (Iceland, Liechtenstein, Norway), and the UK,
# whose UK GDPR keeps Article 33's 72 hours (notified to the ICO).
GDPR_COUNTRIES = frozenset(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE IS LI NO GB".split()
)


def access_incident(*, user, incident_id: int) -> Incident:
    """Admins only; anyone else, or a missing incident, gets 404."""
    incident = Incident.objects.filter(pk=incident_id).first()
    if incident is None or not getattr(user, "is_admin", False):
        raise Http404
    return incident


def incidents_overview() -> QuerySet[Incident]:
    return Incident.objects.all()[:200]


def affected_candidates(
    *, window_start: datetime, window_end: datetime, actions: list[str] = (), target_types: list[str] = ()
) -> tuple[list[User], int]:
    """The clients whose data the audit log shows touched in the window (by these actions and on these kinds of
    record, when given), and how many subjects in it have no account left (shredded: nobody to tell).

    The audit log's `subject_id` names the client whose data an entry concerns (counseling.audit.audit_record).
    """
    entries = AuditEntry.objects.filter(at__gte=window_start, at__lte=window_end, subject_id__isnull=False)
    if actions:
        entries = entries.filter(action__in=list(actions))
    if target_types:
        entries = entries.filter(target_type__in=list(target_types))
    subject_ids = set(entries.values_list("subject_id", flat=True).distinct())
    clients = list(
        User.objects.filter(pk__in=subject_ids, role=Role.CLIENT).select_related("client_profile").order_by("pk")
    )
    others = set(User.objects.filter(pk__in=subject_ids).values_list("pk", flat=True))
    return clients, len(subject_ids - others)


def client_gdpr_place(*, client) -> tuple[str, bool]:
    """(country, in the EU/EEA/UK?) of a client: where they are (sessions.selectors.client_location), and in the
    EU if that or any place they ever confirmed for a session is there (GDPR Art. 3(2) follows the person)."""
    place = client_location(client=client)
    country = place.country if place else ""
    countries = {country} | {place_country for place_country, _region in client_confirmed_places(client.pk)}
    return country, bool(countries & GDPR_COUNTRIES)


@dataclass(frozen=True)
class Clock:
    law: str
    label: str
    hours: int
    deadline: datetime
    met_at: datetime | None
    hours_left: float

    @property
    def met(self) -> bool:
        return self.met_at is not None

    @property
    def overdue(self) -> bool:
        return not self.met and self.hours_left <= 0


def uu_pdp_deadline(*, incident: Incident) -> datetime:
    """UU PDP Pasal 46(1): 3 x 24 hours, counted from when we know of the breach (the consent's promise)."""
    return incident.detected_at + timedelta(hours=settings.BREACH_NOTICE_HOURS_UU_PDP)


def gdpr_deadline(*, incident: Incident) -> datetime:
    """GDPR Art. 33(1): 72 hours after becoming aware."""
    return incident.detected_at + timedelta(hours=settings.BREACH_NOTICE_HOURS_GDPR)


def _latest(*moments) -> datetime | None:
    return None if any(moment is None for moment in moments) else max(moments)


def incident_clocks(*, incident: Incident, at: datetime | None = None) -> list[Clock]:
    """The clocks that run for this incident. UU PDP always (the consent promises it to every client): met once
    every affected client was sent their notice and the notice to the Indonesian authority is recorded. GDPR
    when an affected client is in the EU/EEA/UK: met once the notice to the supervisory authority is recorded.
    Before the affected set is confirmed, the UU PDP clock cannot be met."""
    at = at or now()
    notices = {notice.law: notice.sent_at for notice in AuthorityNotice.objects.filter(incident=incident)}
    affected = list(incident.affected.all())
    clients_told = None
    if incident.affected_confirmed_at is not None:
        sent = [row.notice_sent_at for row in affected if row.client_id is not None]
        clients_told = _latest(incident.affected_confirmed_at, *sent)
    clocks = [
        Clock(
            law=Law.UU_PDP,
            label=str(Law.UU_PDP.label),
            hours=settings.BREACH_NOTICE_HOURS_UU_PDP,
            deadline=uu_pdp_deadline(incident=incident),
            met_at=_latest(clients_told, notices.get(Law.UU_PDP)),
            hours_left=(uu_pdp_deadline(incident=incident) - at).total_seconds() / 3600,
        )
    ]
    if any(row.in_eu for row in affected):
        clocks.append(
            Clock(
                law=Law.GDPR,
                label=str(Law.GDPR.label),
                hours=settings.BREACH_NOTICE_HOURS_GDPR,
                deadline=gdpr_deadline(incident=incident),
                met_at=notices.get(Law.GDPR),
                hours_left=(gdpr_deadline(incident=incident) - at).total_seconds() / 3600,
            )
        )
    return clocks


def _incidents_since(*, since: datetime):
    return Incident.objects.filter(detected_at__gte=since)  # latest first (Incident's ordering)


def running_clocks(*, at: datetime | None = None) -> list[tuple[Incident, Clock]]:
    """Every clock not yet met, of every incident, soonest deadline first (the staff dashboard, the reminders).

    The staff dashboard asks it on every visit, and building and compiling it with the ORM cost more CPU than
    running it (usually no row): its statement is composed once per process (counseling.statements)."""
    at = at or now()
    since = at - timedelta(days=30)  # a clock unmet for a month is still shown; older incidents are history
    values = {"since": since}
    incidents = composed_for(("running_clocks",), _incidents_since, values).instances(values)
    prefetch_related_objects(incidents, "affected")
    rows = []
    for incident in incidents:
        rows.extend((incident, clock) for clock in incident_clocks(incident=incident, at=at) if not clock.met)
    return sorted(rows, key=lambda row: row[1].deadline)


def _moment(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else ""


def _fill(template: dict, *, incident: Incident, **extra) -> str:
    when = (template["when_known"] if incident.occurred_at else template["when_unknown"]).format(
        occurred=_moment(incident.occurred_at), detected=_moment(incident.detected_at)
    )
    return template["body"].format(
        summary=incident.summary.strip(),
        when=when,
        data=incident.data_involved.strip(),
        measures=incident.measures.strip(),
        steps=incident.client_steps.strip(),
        contact=(incident.contact or settings.BREACH_CONTACT).strip(),
        **extra,
    )


def client_notice_draft(*, incident: Incident, language: str) -> tuple[str, str]:
    """(subject, body) of the clients' notice in `language`, from notice_text and what the admin wrote."""
    template = CLIENT_NOTICE[language]
    return template["subject"], _fill(template, incident=incident)


def client_notice_for(*, incident: Incident, language: str) -> tuple[str, str]:
    """The notice as the admin last saved it in this language, else the draft."""
    saved = incident.client_notices.filter(language=language).first()
    return (saved.subject, saved.body) if saved else client_notice_draft(incident=incident, language=language)


def authority_name(*, law: str) -> str:
    if law == Law.UU_PDP:
        return settings.BREACH_AUTHORITY_ID
    return settings.BREACH_AUTHORITY_EU or "the lead supervisory authority"


def authority_notice_draft(*, incident: Incident, law: str) -> str:
    affected = list(incident.affected.all())
    return _fill(
        AUTHORITY_NOTICE[law],
        incident=incident,
        authority=authority_name(law=law),
        controller=settings.BREACH_CONTROLLER,
        count=len(affected),
        count_eu=sum(1 for row in affected if row.in_eu),
    )
