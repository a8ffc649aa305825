"""What the two dashboards show: the client's own page and the counselor's caseload.

Reads only; the views in dashboards/views.py stay one line each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    Count,
    Exists,
    F,
    FilteredRelation,
    Func,
    IntegerField,
    Min,
    OuterRef,
    Q,
    Subquery,
    Window,
)
from django.urls import NoReverseMatch, reverse
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from clinical.notes import notes_unsigned_panel
from clinical.record_access import record_requests_pending_read
from clinical.selectors_measures import measures_due_for
from clinical.selectors_plans import has_shared_plan, plans_due_for_review_shown
from consent.selectors import (
    consent_gate,
    consent_gate_from_status,
    consent_gates,
    consent_onboarding_url,
    consent_status_for_client,
)
from counseling.clock import now
from counseling.crypto import DecryptionError
from counseling.gates import GateResult
from counseling.models import ClientProfile, Role, User
from counseling.statements import CONSTANT, LIKE, VALUE, ComposedStatement, composed_for
from crisis.models import Escalation, EscalationState
from identity.numbers import emergency_numbers
from identity.selectors import UNREAD, identity_gate, identity_gates, intake_for_gate
from licensing.selectors import counselor_credentials_once
from sessions.forms import CaseloadFilterForm
from sessions.models import Conversation, CounselingSession, Message, SessionState
from sessions.selectors import (
    client_location,
    client_referrals_by,
    client_sessions,
    location_confirmation_opens_at,
    pending_requests,
    referral_text,
    session_start_gate,
    session_times,
)


def _first_url(*names: str, args=None) -> str:
    """The URL of the first route that exists (other parts of the site land independently)."""
    for name in names:
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            continue
    return ""


@dataclass(frozen=True)
class NextStep:
    """The one thing the client does next on the way to their session, and the link to the page where they do it."""

    # consent, intake, identity, identity_review, screen, book, request_waiting, location, location_later, fix, join,
    # join_later
    key: str
    title: str
    text: str
    url: str
    link: str


def client_next_step(
    *,
    client,
    upcoming=None,
    at: datetime | None = None,
    consent: GateResult | None = None,
    intake=UNREAD,
    consent_status: dict | None = None,
) -> NextStep:
    """From sign-up to the first session: consent, intake, ID document, book, confirm the location for the
    session, join. Each step asks the gate that guards it (never re-implements it), in the order booking and
    the session's start ask them, so the step shown is the first one still refused.

    `consent`: consent_gate's answer for the client (without a counselor), when the caller has just asked it;
    `intake`: the client's intake or None, when the caller has just read it; `consent_status`: what
    consent_status_for_client read, when the caller has (the consent gate with the session's counselor asks it)."""
    at = at or now()
    if consent is None:
        consent = consent_gate(client=client)
    if not consent:
        return NextStep(
            "consent",
            _("Read and accept the terms of online counseling"),
            consent.message,
            consent_onboarding_url(next_url=reverse("client_home")),  # and back here, to the next step
            _("Read and accept the terms"),
        )
    identity = identity_gate(client=client, intake=intake)
    # A screen that did not pass does not stop the way: a counselor decides it on the client's request.
    if not identity and identity.reason != "unsuitable_for_text":
        if identity.reason != "identity_unverified":
            return NextStep(
                "intake", _("Complete your intake"), identity.message, identity.action_url, _("Complete your intake")
            )
        if identity.action_url == reverse("intake:home"):  # uploaded, waiting for review
            return NextStep(
                "identity_review",
                _("Your ID document is being reviewed"),
                _("We tell you here and on this page as soon as it is reviewed."),
                identity.action_url,
                _("Your intake and identity"),
            )
        return NextStep(
            "identity", _("Upload an ID document"), identity.message, identity.action_url, _("Upload an ID document")
        )
    if upcoming is None:
        upcoming, _past = client_sessions(client=client, at=at)
    if not upcoming and not identity:
        return NextStep(
            "screen",
            _("Send a counselor a request"),
            identity.message,
            identity.action_url,
            identity.fix_label,
        )
    if not upcoming:
        return NextStep(
            "book",
            _("Book a session"),
            _("Choose a counselor who may counsel you where you are, then a time."),
            reverse("sessions:booking_counselors"),
            _("Book a session"),
        )
    session = upcoming[0]
    detail = reverse("sessions:session_detail", args=[session.pk])
    if session.state == SessionState.REQUESTED:
        return NextStep(
            "request_waiting",
            _("Waiting for the counselor's answer"),
            _(
                "Your first session with a counselor is a request: they read your intake, then accept or decline. "
                "We tell you here and by e-mail."
            ),
            detail,
            _("See your request"),
        )
    # A passed identity gate is the same for every counselor; a failed screen may be overridden by this one. Its
    # consent gate (the counselor's disclosure) and jurisdiction gate read the counselor's licences once between them.
    counselor_credentials_once(counselor=session.counselor)
    gate = session_start_gate(
        session=session,
        at=at,
        identity=identity if identity else None,
        consent=consent_gate_from_status(status=consent_status, counselor=session.counselor)
        if consent_status is not None and session.client_id == client.pk
        else None,
    )
    if not gate:
        if gate.reason in ("location_unconfirmed", "location_stale"):
            opens = location_confirmation_opens_at(session=session)
            if opens > at:
                return NextStep(
                    "location_later",
                    _("Confirm where you are, on the day"),
                    _(
                        "Your session is booked. Confirm where you are in the %(hours)d hours before it "
                        "starts; the session page tells you from when."
                    )
                    % {"hours": settings.LOCATION_CONFIRMATION_HOURS},
                    detail,
                    _("See the session"),
                )
            url = f"{gate.action_url}?{urlencode({'next': reverse('client_home')})}"
            return NextStep(
                "location",
                _("Confirm where you are for this session"),
                gate.message,
                url,
                _("Confirm where you are for this session"),
            )
        return NextStep("fix", _("Before your session"), gate.message, gate.action_url or detail, gate.fix_label)
    opens_chat = session.starts_at - timedelta(minutes=settings.SESSION_OPEN_MINUTES_BEFORE)
    if session.state in (SessionState.OPEN, SessionState.IN_PROGRESS) or at >= opens_chat:
        return NextStep(
            "join",
            _("Join your session"),
            _("Your session is open."),
            reverse("sessions:session_chat", args=[session.pk]),
            _("Join the session"),
        )
    return NextStep(
        "join_later",
        _("You are ready for your session"),
        _("The chat opens %(minutes)d minutes before the start. Come back then to join.")
        % {"minutes": settings.SESSION_OPEN_MINUTES_BEFORE},
        detail,
        _("See the session"),
    )


def client_dashboard_context(*, request) -> dict:

    client = request.user
    at = now()
    upcoming, past = client_sessions(client=client, at=at)
    if (upcoming or past) and not User.client_profile.is_cached(client):
        # The client's profile came with each session's row (client_sessions): request.user takes it from there
        # for the page (its greeting, time zone, consent panel) rather than reading it again.
        client.client_profile = (upcoming or past)[0].client.client_profile
    counselors = []
    for session in [*upcoming, *past]:
        # A counselor who has not accepted the client (a request waiting, declined or expired) is not theirs.
        taken_on = session.state != SessionState.REQUESTED and session.cancel_reason not in (
            "request_declined",
            "request_expired",
        )
        if taken_on and session.counselor not in counselors:
            counselors.append(session.counselor)
    referrals = []
    # A referral's counselor is one of the client's sessions' (read with their profiles): no join for it.
    known = {session.counselor_id: session.counselor for session in [*upcoming, *past]}
    for referral in client_referrals_by(client=client, counselors=known):
        try:
            reason, destination = referral_text(referral=referral)
        except DecryptionError:
            reason, destination = None, None
        referrals.append({"referral": referral, "reason": reason, "destination": destination})
    # Read once, with the identity gate's facts: the usual place (when no session's place was confirmed) and the
    # identity gate of the next step.
    intake = intake_for_gate(client=client)
    place = client_location(client=client, sessions=[*upcoming, *past], intake=intake)
    # "Message your counselor": the chat's page for the pair, reached through their latest session.
    latest = {}
    for session in [*upcoming, *past]:
        latest.setdefault(session.counselor_id, session.pk)
    chat_urls = {c.pk: _first_url("sessions:conversation_start", args=[latest[c.pk]]) for c in counselors}
    # The consent panel's status carries the consent gate's answer: the next step reuses it, not asks again.
    consent = consent_status_for_client(client=client, with_counselors=False)
    return {
        "next_step": client_next_step(
            client=client, upcoming=upcoming, at=at, consent=consent["gate"], intake=intake, consent_status=consent
        ),
        "consent_status": consent,
        "upcoming": [{"session": s, "times": session_times(session=s, viewer=client)} for s in upcoming],
        "past": [{"session": s, "times": session_times(session=s, viewer=client)} for s in past[:20]],
        "counselors": [
            {"counselor": c, "profile": c.counselor_profile, "chat_url": chat_urls[c.pk]} for c in counselors
        ],
        "messages_url": _first_url("sessions:chat_list"),
        # The escalation feature's "I need help now" (a POST that alerts the counselor at once).
        "help_url": _first_url("escalation:help_request"),
        "emergency_numbers": emergency_numbers(
            country=place.country if place else "", region=place.region if place else ""
        ),
        "referrals": referrals,
        "client_zone": client.client_profile.time_zone,
        "measures_due": measures_due_for(client=client, at=at, counselors=known),
        "has_shared_plan": has_shared_plan(client=client),
    }


def counselor_dashboard_context(*, request, counselor=None) -> dict:
    """The caseload page's context for `counselor` (the signed-in counselor; pass their row when it is already
    read with its profile, to spare that query)."""
    counselor = counselor or request.user
    form = CaseloadFilterForm(request.GET or None)
    search = show = ""
    if form.is_valid():
        search, show = form.cleaned_data["q"], form.cleaned_data["show"]
    at = now()
    page = caseload_page(counselor=counselor, search=search, show=show, number=request.GET.get("page"), at=at)
    clients = page.object_list
    statuses = caseload_gate_statuses(counselor=counselor, clients=clients)
    profile = counselor.counselor_profile
    zone = profile.time_zone
    filtered = bool(search or show)
    return {
        "requests": pending_requests(counselor=counselor),
        "form": form,
        "page": page,
        "profile": profile,
        "zone": zone,
        "filtered": filtered,
        "rows": [{"client": c, "consent": statuses[c.pk][0], "identity": statuses[c.pk][1]} for c in clients],
        "query": urlencode({k: v for k, v in (("q", search), ("show", show)) if v}),
        "plans_to_review": plans_due_for_review_shown(counselor=counselor, today=at.date()),
        "today": at.date(),
        # A filtered caseload shows neither panel: their queries are not made.
        "notes_due": None if filtered else notes_unsigned_panel(counselor=counselor),
        "record_requests": None if filtered else record_requests_pending_read(counselor=counselor),
    }


# --- The caseload ---------------------------------------------------------------------------------


def caseload(*, counselor, search: str = "", show: str = "", at=None):
    """The counselor's clients in the caseload's order, filtered, with the two sort keys annotated: open risk
    flags (most first) and the next live session (soonest first, none last), then by pseudonym.

    A client is in the caseload once any session was booked with this counselor. The sort keys are joins
    grouped per client, not a subquery per client: ordering 1,000 clients costs one pass over their live
    sessions and open escalations. What a row shows is annotated by `_caseload_shown`. The page reads these rows
    with `_caseload_statement`, which aggregates before it joins (the tests hold the two to the same rows).
    """
    at = at or now()
    live = Q(
        client_sessions__counselor=counselor,
        client_sessions__state__in=[SessionState.SCHEDULED, SessionState.OPEN, SessionState.IN_PROGRESS],
        client_sessions__ends_at__gt=at,
    )
    rows = (
        User.objects.filter(
            role=Role.CLIENT, pk__in=CounselingSession.objects.filter(counselor=counselor).values("client_id")
        )
        .annotate(
            live_sessions=FilteredRelation("client_sessions", condition=live),
            # Every live escalation of the client, whoever handles it: a risk flag concerns the client.
            open_flags=FilteredRelation("escalations", condition=~Q(escalations__state=EscalationState.RESOLVED)),
        )
        .annotate(
            next_session_at=Min("live_sessions__starts_at"),
            # distinct: the two joins multiply each other's rows
            open_risk_flags=Count("open_flags", distinct=True),
        )
    )
    if search:
        rows = rows.filter(client_profile__display_name__icontains=search.strip())
    if show == "upcoming":
        rows = rows.filter(next_session_at__isnull=False)
    elif show == "unread":
        rows = rows.filter(Exists(_caseload_unread(counselor=counselor)))
    elif show == "risk":
        rows = rows.filter(open_risk_flags__gt=0)
    return rows.order_by(
        "-open_risk_flags", F("next_session_at").asc(nulls_last=True), "client_profile__display_name", "pk"
    )


def _caseload_unread(*, counselor):
    """The client's messages to the counselor that the counselor has not read (client: the outer row)."""
    return Message.objects.filter(
        conversation__counselor=counselor,
        conversation__client=OuterRef("pk"),
        sender=OuterRef("pk"),
        read_at__isnull=True,
    )


@dataclass(frozen=True, slots=True)
class CaseloadRow:
    """One client on a page of the caseload: what the row shows, by pseudonym (ClientProfile.display_name), never
    the legal name; `pk` and `role` are the client's, for the gates."""

    pk: int
    role: str
    display_name: str
    next_session_at: datetime | None  # the soonest live session
    next_session_id: int | None
    unread_count: int  # the client's messages the counselor has not read
    open_risk_flags: int
    last_contact: datetime | None  # the later of the last message and the last held session


# An offset past this many rows is past the end of any caseload: such a page number is not asked of the database
# (whose OFFSET it could overflow) but read as Paginator.get_page reads a number past the last page.
_CASELOAD_OFFSET_MAX = 2**31


class _CountedPaginator(Paginator):
    """A Paginator told its count (read with the page's rows), never asking its object list for it."""

    def __init__(self, *, count: int, per_page: int):
        super().__init__((), per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


def caseload_page(*, counselor, search: str = "", show: str = "", number=None, at=None) -> Page:
    """Paginator.get_page(number) of `caseload` (CASELOAD_PAGE_SIZE rows a page), each row a CaseloadRow, in one
    query: the page's rows with the count of all of them (a window over the rows), and what each row shows as
    subqueries PostgreSQL evaluates after the sort and the limit, for the page's rows only. A number past the last
    page (or below 1) gets the last page, as from Paginator.get_page: the count first (with the first row), then
    its rows."""
    at = at or now()
    values = {"counselor": counselor.pk, "at": at, "search": search.strip()}
    statement = _caseload_statement(searched=bool(search), show=show if show in _CASELOAD_SHOWS else "", values=values)
    size = settings.CASELOAD_PAGE_SIZE
    try:
        number = int(number)
    except (TypeError, ValueError):
        number = 1  # not a whole number: the first page (PageNotAnInteger)
    rows = []
    if 1 <= number and (number - 1) * size < _CASELOAD_OFFSET_MAX:
        rows = statement.rows(values, low=(number - 1) * size, high=number * size)
    if rows:
        paginator = _CountedPaginator(count=rows[0]["total"], per_page=size)
    elif number == 1:
        paginator = _CountedPaginator(count=0, per_page=size)
    else:  # past the last page, or below the first (EmptyPage): the last page
        first = statement.rows(values, low=0, high=1)
        paginator = _CountedPaginator(count=first[0]["total"] if first else 0, per_page=size)
        number = paginator.num_pages
        if paginator.count:
            rows = statement.rows(values, low=(number - 1) * size, high=number * size)
    return Page([_caseload_row(row) for row in rows], paginator.validate_number(number), paginator)


def _caseload_shown(rows, *, counselor, at):
    """`caseload`'s rows as the values a row shows, with `total`, the count of all rows."""
    sessions = CounselingSession.objects.filter(counselor=counselor, client=OuterRef("pk"))
    live = sessions.filter(
        state__in=[SessionState.SCHEDULED, SessionState.OPEN, SessionState.IN_PROGRESS], ends_at__gt=at
    ).order_by("starts_at")
    held = sessions.filter(state__in=[SessionState.COMPLETED, SessionState.IN_PROGRESS], starts_at__lte=at).order_by(
        "-starts_at"
    )
    messages = Message.objects.filter(conversation__counselor=counselor, conversation__client=OuterRef("pk"))
    # COUNT as a plain function, not an aggregate: no GROUP BY; one conversation per pair (one_conversation_per_pair)
    # and a count of no rows is 0.
    unread = _caseload_unread(counselor=counselor).order_by().annotate(n=Func("pk", function="COUNT")).values("n")
    return rows.annotate(
        total=Window(Count("pk")),
        pseudonym=F("client_profile__display_name"),
        next_session_id=Subquery(live.values("pk")[:1]),
        unread_count=Subquery(unread, output_field=IntegerField()),
        last_message_at=Subquery(messages.order_by("-created_at").values("created_at")[:1]),
        last_session_at=Subquery(held.values("starts_at")[:1]),
    ).values(
        "pk",
        "role",
        "pseudonym",
        "next_session_at",
        "next_session_id",
        "unread_count",
        "open_risk_flags",
        "last_message_at",
        "last_session_at",
        "total",
    )


_CASELOAD_SHOWS = ("upcoming", "unread", "risk")  # what `caseload` filters by; any other `show`, nothing


def _caseload_orm_statement(*, searched: bool, show: str, values: dict) -> ComposedStatement:
    """`_caseload_shown`'s statement for one kind of page (a search or none, a `show` filter), composed once: the
    columns and their converters of `_caseload_statement`, and its reference (the tests hold them to each other).
    `values`: a request's (counselor, at, search), whose kinds it is composed for."""

    def compose(*, counselor, at, search: str):
        rows = caseload(counselor=counselor, search=search if searched else "", show=show, at=at)
        return _caseload_shown(rows, counselor=counselor, at=at)

    return composed_for(("caseload-orm", searched, show), compose, values)


_caseload_statements: dict = {}


def _caseload_statement(*, searched: bool, show: str, values: dict) -> ComposedStatement:
    """The statement of a kind of caseload page: the rows of `_caseload_shown(caseload(...))`, in its order, in a
    shape the ORM does not write. The sort keys are aggregated before the joins, not over them: the counselor's
    sessions once per client (the next live one, and the last held one that a row shows), and the open
    escalations once per client; the ORM's joins of both multiply each other's rows, which then need a COUNT
    DISTINCT and a sorted GROUP BY of every client. Its columns are the ORM statement's, converted as it converts
    them (SQLite's datetimes)."""
    key = (connection.alias, connection.vendor, searched, show)
    statement = _caseload_statements.get(key)
    if statement is None:
        reference = _caseload_orm_statement(searched=searched, show=show, values=values)
        sql, slots = _caseload_sql(searched=searched, show=show)
        statement = _caseload_statements[key] = ComposedStatement(
            sql=sql, slots=slots, names=reference.names, converters=reference.converters
        )
    return statement


def _caseload_sql(*, searched: bool, show: str) -> tuple[str, tuple]:
    """The SQL of `_caseload_statement` and its slots (counseling.statements), the same text on PostgreSQL and
    SQLite but for the search's lookup, which is the ORM's icontains on each."""
    slots = []

    def value(name: str) -> str:
        slots.append((VALUE, name))
        return "%s"

    def constants(*states) -> str:
        slots.extend((CONSTANT, str(state)) for state in states)
        return ", ".join("%s" for _ in states)

    live = (SessionState.SCHEDULED, SessionState.OPEN, SessionState.IN_PROGRESS)
    held = (SessionState.COMPLETED, SessionState.IN_PROGRESS)
    quote = connection.ops.quote_name
    models = (CounselingSession, Message, Conversation, User, ClientProfile, Escalation)
    sessions, messages, conversations, users, profiles, escalations = (quote(m._meta.db_table) for m in models)
    client_messages = (
        f'FROM {messages} m INNER JOIN {conversations} v ON m."conversation_id" = v."id" '
        f'WHERE v."client_id" = u."id" AND v."counselor_id" = '
    )
    # The order of the text is the order of the slots: each part is written after the one before it.
    sql = (
        f'SELECT u."id", u."role", p."display_name", c."next_session_at", '  # noqa: S608
        f'(SELECT s."id" FROM {sessions} s WHERE s."client_id" = u."id" AND s."counselor_id" = {value("counselor")} '
        f'AND s."ends_at" > {value("at")} AND s."state" IN ({constants(*live)}) ORDER BY s."starts_at" ASC LIMIT 1), '
        f'(SELECT COUNT(m."id") {client_messages}{value("counselor")} AND m."read_at" IS NULL '
        f'AND m."sender_id" = u."id"), '
        f'COALESCE(f."n", 0), '
        f'(SELECT MAX(m."created_at") {client_messages}{value("counselor")}), '
        f'c."last_session_at", '
        f"COUNT(*) OVER () "
        f'FROM (SELECT s."client_id", '
        f'MIN(s."starts_at") FILTER (WHERE s."ends_at" > {value("at")} AND s."state" IN ({constants(*live)})) '
        f'AS "next_session_at", '
        f'MAX(s."starts_at") FILTER (WHERE s."starts_at" <= {value("at")} AND s."state" IN ({constants(*held)})) '
        f'AS "last_session_at" '
        f'FROM {sessions} s WHERE s."counselor_id" = {value("counselor")} GROUP BY s."client_id") c '
        f'INNER JOIN {users} u ON u."id" = c."client_id" '
        f'LEFT OUTER JOIN {profiles} p ON p."user_id" = u."id" '
        f'LEFT OUTER JOIN (SELECT e."client_id", COUNT(*) AS "n" FROM {escalations} e '
        f'WHERE e."state" <> {constants(EscalationState.RESOLVED)} GROUP BY e."client_id") f ON f."client_id" = u."id" '
        f'WHERE u."role" = {constants(Role.CLIENT)}'
    )
    if searched:
        ops = connection.ops
        name = ops.lookup_cast("icontains", "CharField") % 'p."display_name"'
        sql += f" AND {name} {connection.operators['icontains'] % '%s'}"
        slots.append((LIKE, "search", "%%%s%%"))
    if show == "upcoming":
        sql += ' AND c."next_session_at" IS NOT NULL'
    elif show == "unread":
        sql += (
            f' AND EXISTS (SELECT 1 {client_messages}{value("counselor")} AND m."sender_id" = u."id" '
            f'AND m."read_at" IS NULL)'
        )
    elif show == "risk":
        sql += ' AND COALESCE(f."n", 0) > 0'
    sql += ' ORDER BY 7 DESC, 4 ASC NULLS LAST, p."display_name" ASC, u."id" ASC'
    return sql, tuple(slots)


def _caseload_row(row: dict) -> CaseloadRow:
    stamps = [stamp for stamp in (row["last_message_at"], row["last_session_at"]) if stamp is not None]
    return CaseloadRow(
        pk=row["pk"],
        role=row["role"],
        display_name=row["pseudonym"],
        next_session_at=row["next_session_at"],
        next_session_id=row["next_session_id"],
        unread_count=row["unread_count"],
        open_risk_flags=row["open_risk_flags"],
        last_contact=max(stamps) if stamps else None,
    )


def caseload_gate_statuses(*, counselor, clients) -> dict:
    """{client id: (consent result, identity result)} for the rows on one page: the gates are asked, never
    re-implemented, for all visible rows at once (a few queries, the same for any caseload size)."""
    consent = consent_gates(clients=clients, counselor=counselor)
    identity = identity_gates(clients=clients, counselor=counselor)
    return {client.pk: (consent[client.pk], identity[client.pk]) for client in clients}
