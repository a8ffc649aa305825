"""Reads of the core app."""

from django.utils.translation import gettext as _

from counseling.gates import GateResult


def identity_gate(*, client) -> GateResult:
    """Has this client a verified identity and an emergency plan? (ACA H.3; HHS emergency planning)

    Allowed only with a verified ID document, a complete intake with an authorised emergency contact
    and a plan for a dropped connection, a passed suitability screen and a code word.
    """
    from django.urls import reverse

    from counseling.identity_selectors import has_code_word, identity_status_for, intake_for

    url = reverse("intake:home")
    intake = intake_for(client=client)
    if intake is None:
        return GateResult.refuse("intake_missing", _("Please complete your intake first."), url)
    if not intake.has_emergency_plan:
        return GateResult.refuse("emergency_plan_missing",
                                 _("Please complete your emergency plan: an emergency contact you allow us to "
                                   "call, and what to do if the connection drops."), url)
    if not intake.suitability_passed:
        return GateResult.refuse("unsuitable_for_text",
                                 _("From your intake, text counseling may not be safe or private enough for "
                                   "you now. Please talk to us about face-to-face care."), url)
    if not has_code_word(client=client):
        return GateResult.refuse("code_word_missing", _("Please choose a code word."), url)
    status = identity_status_for(client=client)
    if status != "verified":
        message = {
            "pending": _("Your identity document is waiting for review."),
            "rejected": _("Your identity document was not accepted. Please upload another one."),
        }.get(status, _("Please upload an identity document."))
        return GateResult.refuse("identity_unverified", message, url)
    return GateResult.ok()


def emergency_numbers_for(*, country: str, region: str = ""):
    """The emergency and crisis numbers for a place (see counseling.identity_selectors)."""
    from counseling.identity_selectors import emergency_numbers_for as numbers

    return numbers(country=country, region=region)


# --- Caseload (issue 6) ----------------------------------------------------------------------------
# Imports are local to these functions: sessions.selectors imports this module for identity_gate.


def caseload_risk_flags_subquery(*, counselor, client_ref):
    """Open (not yet resolved) escalations of one client, as an expression usable in an annotation.

    Counts every live escalation of the client, whoever handles it: a risk flag concerns the client.
    """
    from django.db.models import Count, Subquery, Value

    try:
        from counseling.models import Escalation, EscalationState
    except ImportError:  # the escalation feature is not in this checkout: no flags to count
        return Value(0)
    return Subquery(Escalation.objects.filter(client=client_ref).exclude(state=EscalationState.RESOLVED)
                    .values("client").annotate(n=Count("pk")).values("n")[:1])


def caseload(*, counselor, search: str = "", show: str = "", at=None):
    """The counselor's clients, one row each, annotated in ONE query whatever the caseload's size.

    A client is in the caseload once any session was booked with this counselor. Rows carry the
    next live session, unread client messages, open risk flags and the last contact (a message or a
    held session). Shown by pseudonym (ClientProfile.display_name), never the legal name.
    """
    from django.db.models import Count, F, IntegerField, OuterRef, Subquery, Value
    from django.db.models.functions import Coalesce

    from counseling.clock import now
    from counseling.models import Role, User
    from sessions.models import CounselingSession, Message, SessionState

    at = at or now()
    sessions = CounselingSession.objects.filter(counselor=counselor, client=OuterRef("pk"))
    live = sessions.filter(state__in=[SessionState.SCHEDULED, SessionState.OPEN, SessionState.IN_PROGRESS],
                           ends_at__gt=at).order_by("starts_at")
    held = sessions.filter(state__in=[SessionState.COMPLETED, SessionState.IN_PROGRESS], starts_at__lte=at
                           ).order_by("-starts_at")
    messages = Message.objects.filter(conversation__counselor=counselor, conversation__client=OuterRef("pk"))
    unread = (messages.filter(sender=OuterRef("pk"), read_at__isnull=True).values("conversation")
              .annotate(n=Count("pk")).values("n")[:1])
    rows = (User.objects.filter(role=Role.CLIENT,
                                pk__in=CounselingSession.objects.filter(counselor=counselor).values("client_id"))
            .select_related("client_profile")
            .annotate(
                next_session_at=Subquery(live.values("starts_at")[:1]),
                next_session_id=Subquery(live.values("pk")[:1]),
                unread_count=Coalesce(Subquery(unread), Value(0), output_field=IntegerField()),
                open_risk_flags=Coalesce(caseload_risk_flags_subquery(counselor=counselor, client_ref=OuterRef("pk")),
                                         Value(0), output_field=IntegerField()),
                last_message_at=Subquery(messages.order_by("-created_at").values("created_at")[:1]),
                last_session_at=Subquery(held.values("starts_at")[:1]),
            ))
    if search:
        rows = rows.filter(client_profile__display_name__icontains=search.strip())
    if show == "upcoming":
        rows = rows.filter(next_session_at__isnull=False)
    elif show == "unread":
        rows = rows.filter(unread_count__gt=0)
    elif show == "risk":
        rows = rows.filter(open_risk_flags__gt=0)
    return rows.order_by("-open_risk_flags", F("next_session_at").asc(nulls_last=True),
                         "client_profile__display_name", "pk")


def caseload_last_contact(row):
    """The later of a row's last message and last held session (None if neither)."""
    stamps = [stamp for stamp in (row.last_message_at, row.last_session_at) if stamp is not None]
    return max(stamps) if stamps else None


def caseload_gate_statuses(*, counselor, clients) -> dict:
    """{client id: (consent result, identity result)} for the rows on one page: the gates are called,
    never re-implemented, once per visible row (so the page costs the same for any caseload size)."""
    from consent.selectors import consent_gate

    return {client.pk: (consent_gate(client=client, counselor=counselor), identity_gate(client=client))
            for client in clients}
