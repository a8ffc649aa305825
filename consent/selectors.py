"""Reads of the consent app, and the consent gate.

Which version binds a client: each language has its own series of versions (en v1, v2, ...; id v1,
...). An acceptance satisfies the gate while its version is still the version in force of ITS
language (the language family the client chose to read); a new version in that language makes it
stale. A client may accept in either language. With a counselor, the acceptance must be one that
carried that counselor's disclosure, and the disclosure rendered today must hash to what was
accepted: if the counselor's credentials, location or contact change, the client consents again.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple
from urllib.parse import urlencode

from django.db import connection, router
from django.db.models import BooleanField, Count, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from consent.models import ConsentAcceptance, ConsentVersion, VersionStatus
from consent.rendering import consent_rendered_sha256
from counseling.clock import now
from counseling.gates import GateResult
from counseling.models import Role, User
from counseling.statements import composed_for


def consent_version_in_force(*, language: str, at=None) -> ConsentVersion | None:
    """The published version of `language` with the latest effective date not after `at`."""
    return ConsentVersion.objects.in_force(at).filter(language=language).order_by("-effective_at", "-number").first()


def consent_versions_in_force(*, at=None) -> dict[str, ConsentVersion]:
    versions: dict[str, ConsentVersion] = {}
    for version in ConsentVersion.objects.in_force(at).order_by("language", "-effective_at", "-number"):
        versions.setdefault(version.language, version)
    return versions


def consent_version_for_reader(*, language: str, at=None) -> ConsentVersion | None:
    """The version a reader of `language` sees; falls back to another language if none is in force."""
    version = consent_version_in_force(language=language, at=at)
    if version is None:
        versions = consent_versions_in_force(at=at)
        version = versions.get("id") or versions.get("en") or next(iter(versions.values()), None)
    return version


def consent_previous_published(*, version: ConsentVersion) -> ConsentVersion | None:
    """The latest published version of the same language before `version` (the base of its diff)."""
    return (
        ConsentVersion.objects.published()
        .filter(language=version.language, number__lt=version.number)
        .order_by("-number")
        .first()
    )


def consent_acceptances_active(*, client) -> QuerySet[ConsentAcceptance]:
    return ConsentAcceptance.objects.filter(client=client, withdrawn_at__isnull=True)


def consent_acceptance_current(*, client, counselor=None, at=None) -> ConsentAcceptance | None:
    """The client's newest acceptance that is in force now (for this counselor, if given)."""
    in_force = [version.pk for version in consent_versions_in_force(at=at).values()]
    candidates = consent_acceptances_active(client=client).filter(version_id__in=in_force)
    if counselor is not None:
        candidates = candidates.filter(counselor=counselor)
    return candidates.select_related("version").order_by("-accepted_at").first()


def consent_onboarding_url(*, counselor=None, next_url: str = "") -> str:
    url = reverse("consent:onboarding")
    params = {}
    if counselor is not None:
        params["counselor"] = counselor.pk
    if next_url:
        params["next"] = next_url
    return f"{url}?{urlencode(params)}" if params else url


def consent_gate(*, client, counselor=None) -> GateResult:
    """May this client be counseled (by this counselor)? Allowed only with consent in force.

    Used by booking, the session-start gate and the chat consumer alike (ACA H.2.a: consent before
    any counseling; a new version needs new consent before the next session).
    """
    if client is None or getattr(client, "role", None) != Role.CLIENT:
        return GateResult.refuse(
            "consent_missing", _("Only a client can give consent to counseling."), reverse("dashboard")
        )
    return consent_gates(clients=[client], counselor=counselor)[client.pk]


def consent_gates(*, clients, counselor=None) -> dict[int, GateResult]:
    """{client id: consent_gate(client=..., counselor=...)} for many clients (a page of the caseload) in two
    queries whatever their number: every acceptance of these clients with its version and whether that version is
    in force, and the sections of the versions to render with the counselor's details (read once per process for a
    published version). consent_gate itself is this for one client."""
    ids = [client.pk for client in clients if getattr(client, "role", None) == Role.CLIENT]
    acceptances: dict[int, list[_GateAcceptance]] = {pk: [] for pk in ids}
    in_force: set[int] = set()
    for acceptance in _newest_first(_gate_acceptances_read(clients=ids)):
        if acceptance.version_in_force:
            in_force.add(acceptance.version_id)
        acceptances[acceptance.client_id].append(acceptance)
    rendered_sha256 = _rendered_sha256_of(counselor)  # one counselor for all: each version rendered once
    action_url = consent_onboarding_url(counselor=counselor)  # the same for every client: reversed once
    # Every client who never accepted gets the same answer, and so does everyone who is not a client: each
    # decided (its message translated) once.
    without: dict[bool, GateResult] = {}

    def decide(pk: int) -> GateResult:
        rows = acceptances.get(pk)
        if not rows and (rows is None) in without:
            return without[rows is None]
        result = _consent_decide(
            acceptances=rows,
            counselor=counselor,
            in_force=in_force,
            rendered_sha256=rendered_sha256,
            action_url=action_url,
        )
        if not rows:
            without[rows is None] = result
        return result

    return {client.pk: decide(client.pk) for client in clients}


# Is the acceptance's version the one in force for its language: published, in effect, and the latest in effect
# (by date, then number; consent_versions_in_force)? As SQL on the acceptance's own row: the same question written
# with the ORM (an Exists with three OuterRefs) costs about 0.6 ms of Python to build and compile on every page that
# asks the consent gate, twice this SQL's whole cost. Plain SQL that SQLite and PostgreSQL both run.
_VERSION_IN_FORCE = """consent_consentacceptance.version_id IN (
    SELECT newest.id FROM consent_consentversion AS newest
    JOIN consent_consentversion AS accepted ON accepted.language = newest.language
    WHERE accepted.id = consent_consentacceptance.version_id AND newest.status = %s AND newest.effective_at <= %s
    ORDER BY newest.effective_at DESC, newest.number DESC
    LIMIT 1
)"""


def _acceptances_with_version_in_force(acceptances: QuerySet[ConsentAcceptance], at=None) -> QuerySet:
    """`acceptances` with their version, and `version_in_force`: whether that version is the one
    consent_versions_in_force(at=at) gives for its language, asked in the same statement."""
    # The moment as the ORM would give it to the database (SQLite keeps naive UTC text).
    at = connection.ops.adapt_datetimefield_value(at or now())
    in_force = RawSQL(_VERSION_IN_FORCE, (VersionStatus.PUBLISHED, at), output_field=BooleanField())  # noqa: S611
    return acceptances.select_related("version").annotate(version_in_force=in_force)


class _GateAcceptance(NamedTuple):
    """What the consent gate's rules read of an acceptance (consent_gates reads a page of clients' acceptances:
    plain values, not a model instance and its version's per row)."""

    pk: int
    client_id: int
    version_id: int
    counselor_id: int | None
    accepted_at: datetime
    withdrawn_at: datetime | None
    text_sha256: str
    version_in_force: bool
    version: ConsentVersion  # what consent_render reads of it, the same instance for each row of one version


# The acceptance's columns, then the version's: those consent_render reads.
_GATE_ACCEPTANCE_COLUMNS = _GateAcceptance._fields[:-1]
_GATE_VERSION_FIELDS = ("id", "language", "number", "status", "effective_at", "published_at")


def _gate_acceptances(*, clients: list[int], at) -> QuerySet:
    """Every acceptance of these clients, whether its version is in force at `at`, and that version's fields."""
    return (
        _acceptances_with_version_in_force(ConsentAcceptance.objects.filter(client_id__in=clients), at=at)
        .values_list(*_GATE_ACCEPTANCE_COLUMNS, *(f"version__{name}" for name in _GATE_VERSION_FIELDS))
        .order_by()
    )


def _gate_acceptances_read(*, clients: list[int]) -> list[_GateAcceptance]:
    if not clients:
        return []
    values = {"clients": clients, "at": now()}
    rows = composed_for(("consent.gates",), _gate_acceptances, values).tuples(values)
    columns = len(_GATE_ACCEPTANCE_COLUMNS)
    versions: dict[int, ConsentVersion] = {}
    acceptances = []
    for row in rows:
        version = versions.get(row[columns])
        if version is None:
            # As the ORM builds a version read with .only() these fields.
            version = versions[row[columns]] = ConsentVersion.from_db(
                router.db_for_read(ConsentVersion), _GATE_VERSION_FIELDS, row[columns:]
            )
        acceptances.append(_GateAcceptance(*row[:columns], version))
    return acceptances


def _status_acceptances(*, client: int, at, with_counselors: bool) -> QuerySet[ConsentAcceptance]:
    """Every acceptance of the client for their consent panel, with its version and whether that version is in
    force at `at`, and its counselor when the page names them; without the whole text (on its own page)."""
    acceptances = _acceptances_with_version_in_force(ConsentAcceptance.objects.filter(client_id=client), at=at)
    if with_counselors:
        acceptances = acceptances.select_related("counselor__counselor_profile")
    return acceptances.defer("rendered_text").order_by()


def _newest_first(acceptances: list) -> list:
    """The acceptances, newest first (then the latest row of two accepted at the same instant), sorted here: a
    client's acceptances are few, and the ORDER BY costs ~0.1 ms of Python to compile on every page that asks the
    consent gate."""
    return sorted(acceptances, key=lambda acceptance: (acceptance.accepted_at, acceptance.pk), reverse=True)


def _rendered_sha256_of(counselor):
    """version -> the hash of the consent text rendered today with `counselor`'s disclosure, each version rendered
    at most once (what the client's acceptance is compared with)."""
    rendered: dict[int, str] = {}

    def rendered_sha256(version) -> str:
        if version.pk not in rendered:
            rendered[version.pk] = consent_rendered_sha256(version=version, counselor=counselor)
        return rendered[version.pk]

    return rendered_sha256


def _consent_decide(*, acceptances, counselor, in_force: set[int], rendered_sha256, action_url=None) -> GateResult:
    """The consent gate's rules on one client's acceptances (newest first; None: not a client)."""
    if action_url is None:
        action_url = consent_onboarding_url(counselor=counselor)
    if acceptances is None:
        return GateResult.refuse(
            "consent_missing", _("Only a client can give consent to counseling."), reverse("dashboard")
        )
    current = [a for a in acceptances if a.withdrawn_at is None and a.version_id in in_force]
    with_counselor = [a for a in acceptances if counselor is None or a.counselor_id == counselor.pk]
    acceptance = next((a for a in current if counselor is None or a.counselor_id == counselor.pk), None)
    if acceptance is not None and counselor is not None:
        if rendered_sha256(acceptance.version) != acceptance.text_sha256:
            return GateResult.refuse(
                "consent_disclosure_changed",
                _("Your counselor's details have changed. Please read and accept the terms again."),
                action_url,
            )
    if acceptance is not None:
        return GateResult.ok()
    if any(a.withdrawn_at is None for a in with_counselor):
        return GateResult.refuse(
            "consent_outdated",
            _("The terms of online counseling have changed. Please read and accept the new version."),
            action_url,
        )
    if with_counselor:
        return GateResult.refuse(
            "consent_withdrawn",
            _("You withdrew your consent. To be counseled again, please read and accept the terms."),
            action_url,
        )
    if counselor is not None and current:
        return GateResult.refuse(
            "consent_counselor_disclosure",
            _("Please read and accept the terms with this counselor's details before booking or chatting."),
            action_url,
        )
    return GateResult.refuse(
        "consent_missing", _("Please read and accept the terms of online counseling first."), action_url
    )


def consent_status_for_client(*, client, with_counselors: bool = True) -> dict:
    """What the client's dashboard shows: in force or not, and every acceptance they have given (one query: the
    gate's rules run on the acceptances read for the list, each with its version and whether it is in force).
    `with_counselors=False` for a page that never names each acceptance's counselor (the home page's panel): the
    counselors are not joined."""
    values = {"client": client.pk, "at": now()}
    statement = composed_for(
        ("consent.status", with_counselors),
        lambda *, client, at: _status_acceptances(client=client, at=at, with_counselors=with_counselors),
        values,
    )
    acceptances = _newest_first(statement.instances(values))
    in_force = {acceptance.version_id for acceptance in acceptances if acceptance.version_in_force}
    for acceptance in acceptances:
        acceptance.is_in_force = acceptance.withdrawn_at is None and acceptance.version_id in in_force
    gate = _consent_decide(
        acceptances=acceptances if getattr(client, "role", None) == Role.CLIENT else None,
        counselor=None,
        in_force=in_force,
        rendered_sha256=None,  # no counselor: no disclosure to compare
    )
    current = next((acceptance for acceptance in acceptances if acceptance.is_in_force), None)
    return {"gate": gate, "current": current, "acceptances": acceptances, "client": client, "in_force": in_force}


def consent_gate_from_status(*, status: dict, counselor) -> GateResult:
    """consent_gate(client=..., counselor=counselor) on what consent_status_for_client just read for the page (the
    versions in force, every acceptance of the client, newest first: the rows consent_gates reads), so a page that
    shows the status and asks the gate with a counselor reads them once. Only the disclosure is rendered here."""
    client = status["client"]
    if client is None or getattr(client, "role", None) != Role.CLIENT:
        return consent_gate(client=client, counselor=counselor)
    return _consent_decide(
        acceptances=status["acceptances"],
        counselor=counselor,
        in_force=status["in_force"],
        rendered_sha256=_rendered_sha256_of(counselor),
    )


def access_acceptance(*, user, acceptance_id: int) -> ConsentAcceptance:
    """The acceptance if it is the user's own; 404 otherwise (never reveal that it exists)."""
    acceptance = (
        ConsentAcceptance.objects.select_related("version", "counselor__counselor_profile")
        .filter(pk=acceptance_id)
        .first()
    )
    if acceptance is None or acceptance.client_id != user.pk:
        raise Http404
    return acceptance


def access_consent_version(*, user, version_id: int) -> ConsentVersion:
    """Admins only (checked by the view's decorator too)."""
    if getattr(user, "role", None) != Role.ADMIN:
        raise Http404
    version = ConsentVersion.objects.filter(pk=version_id).first()
    if version is None:
        raise Http404
    return version


def counselor_for_consent(*, counselor_id) -> User | None:
    """A counselor whose disclosure a client may read (counselor profiles are public)."""
    try:
        counselor_id = int(counselor_id)
    except (TypeError, ValueError):
        return None
    return (
        User.objects.select_related("counselor_profile")
        .filter(pk=counselor_id, role=Role.COUNSELOR, is_active=True, counselor_profile__isnull=False)
        .first()
    )


def consent_versions_overview() -> QuerySet[ConsentVersion]:
    return ConsentVersion.objects.annotate(
        accepted_count=Count("acceptances"),
        active_count=Count("acceptances", filter=Q(acceptances__withdrawn_at__isnull=True)),
    ).order_by("language", "-number")


def consent_acceptances_of_version(*, version: ConsentVersion) -> QuerySet[ConsentAcceptance]:
    return version.acceptances.select_related("client__client_profile", "counselor__counselor_profile").order_by(
        "-accepted_at"
    )


def consent_history_of_client(*, client) -> list[dict]:
    """One client's whole consent history, as plain data for export."""
    rows = []
    for acceptance in (
        ConsentAcceptance.objects.filter(client=client).select_related("version").order_by("accepted_at", "pk")
    ):
        rows.append(
            {
                "acceptance_id": acceptance.pk,
                "version_id": acceptance.version_id,
                "version_number": acceptance.version.number,
                "language": acceptance.language,
                "counselor_id": acceptance.counselor_id,
                "text_sha256": acceptance.text_sha256,
                "acknowledged_sections": acceptance.acknowledged_sections,
                "accepted_at": acceptance.accepted_at.isoformat(),
                "ip_address": acceptance.ip_address,
                "user_agent": acceptance.user_agent,
                "withdrawn_at": acceptance.withdrawn_at.isoformat() if acceptance.withdrawn_at else None,
                "rendered_text": acceptance.rendered_text,
            }
        )
    return rows


def consent_client_export(client) -> dict:
    """The consent section of the client's own copy of their data (records.services.client_export): every
    acceptance, withdrawn ones too, with the version, the exact text shown and whose disclosure it carried."""
    rows = consent_history_of_client(client=client)
    counselors = {
        user.pk: user.display_name
        for user in User.objects.filter(
            pk__in={row["counselor_id"] for row in rows if row["counselor_id"]}
        ).select_related("counselor_profile")
    }
    for row in rows:
        row["counselor"] = counselors.get(row.pop("counselor_id"))
    return {"acceptances": rows}
