"""Reads of the licensing app: the jurisdiction gate, the directory, access to licences."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import NamedTuple

from django.conf import settings
from django.db import router
from django.db.models import BooleanField, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from counseling.gates import GateResult
from counseling.mfa import confirmed_device_owners, passed_with_authenticator
from counseling.models import AuditEntry, CounselorProfile, Role, User, comma_items
from counseling.statements import composed_for
from licensing.hooks import next_free_slots
from licensing.models import (
    CompactPrivilege,
    Jurisdiction,
    LapseNotice,
    Licence,
    LicenceKind,
    LicenceState,
    PracticeAgreement,
    PracticeRule,
    RequiredCredential,
)

# When several licences cover the place and none is valid, the reason shown is the most serious one.
_REFUSAL_ORDER = [
    "licence_revoked",
    "licence_suspended",
    "licence_expired",
    "licence_unverified",
    "licence_not_yet_valid",
    "licence_rejected",
]


def _day(at: datetime) -> date:
    """Licence dates are calendar days; the UTC day decides, one rule everywhere."""
    if at.tzinfo is None:
        raise ValueError("jurisdiction checks need an aware datetime")
    return at.astimezone(UTC).date()


def _licence_refusal(licence: Licence, day: date) -> str:
    """Why this one licence does not allow practice on `day` ("" if it does)."""
    if licence.state == LicenceState.VERIFIED:
        if day > licence.expires_on:
            return "licence_expired"
        if day < licence.valid_from:
            return "licence_not_yet_valid"
        return ""
    return {
        LicenceState.SUBMITTED: "licence_unverified",
        LicenceState.EXPIRED: "licence_expired",
        LicenceState.SUSPENDED: "licence_suspended",
        LicenceState.REVOKED: "licence_revoked",
        LicenceState.REJECTED: "licence_rejected",
    }[licence.state]


class _AgreementFacts(NamedTuple):
    """What the gate reads of a privilege's PracticeAgreement: the kinds it covers and its members' ids."""

    licence_kinds: str
    member_ids: frozenset[int]

    covers_kind = PracticeAgreement.covers_kind  # the model's own rule: it reads only licence_kinds


class _HomeLicenceFacts(NamedTuple):
    """What the gate reads of a privilege's home licence (_licence_refusal's fields among them)."""

    counselor_id: int
    kind: str
    state: str
    valid_from: date
    expires_on: date
    jurisdiction_id: int
    jurisdiction: JurisdictionRow


class _PrivilegeFacts(NamedTuple):
    """A CompactPrivilege as the directory reads it, as plain values: what the gate and a card read of it, under the
    model's names."""

    pk: int
    counselor_id: int
    jurisdiction_id: int
    jurisdiction: JurisdictionRow
    revoked_at: datetime | None
    home_licence: _HomeLicenceFacts
    agreement: _AgreementFacts


def _privilege_refusal(privilege: CompactPrivilege | _PrivilegeFacts, day: date) -> str:
    """A compact privilege counts only while recorded, unrevoked, and its home licence is valid. `privilege`: a
    CompactPrivilege with its agreement's members, or the directory's _PrivilegeFacts."""
    if privilege.revoked_at is not None:
        return "licence_revoked"
    home = privilege.home_licence
    agreement = privilege.agreement
    if isinstance(agreement, _AgreementFacts):
        member_ids = agreement.member_ids
    else:
        member_ids = {j.pk for j in agreement.members.all()}
    if (
        home.counselor_id != privilege.counselor_id
        or not agreement.covers_kind(home.kind)
        or home.jurisdiction_id not in member_ids
        or privilege.jurisdiction_id not in member_ids
    ):
        return "no_licence_there"
    return _licence_refusal(home, day)


def refusal_message(reason: str) -> str:
    return {
        "no_licence_there": _("This counselor holds no licence for the place where you are."),
        "credential_missing": _("This counselor does not hold every licence the law requires where you are."),
        "no_rule_there": _(
            "We have no record yet of which licences the law requires where you are, so no counselor can be "
            "booked for that place."
        ),
        "licence_expired": _("This counselor's licence for the place where you are has expired."),
        "licence_unverified": _("This counselor's licence for the place where you are is not verified yet."),
        "licence_not_yet_valid": _("This counselor's licence for the place where you are is not valid yet."),
        "licence_suspended": _("This counselor's licence for the place where you are is suspended."),
        "licence_revoked": _("This counselor's licence for the place where you are was revoked."),
        "licence_rejected": _("This counselor's licence for the place where you are could not be verified."),
        "location_unknown": _("Tell us where you are to see whether this counselor may counsel you there."),
    }[reason]


def _problem_words(reason: str) -> str:
    """How one required credential falls short, in a few words (after its name)."""
    return {
        "credential_missing": _("missing"),
        "no_licence_there": _("missing"),
        "licence_expired": _("expired"),
        "licence_unverified": _("not verified yet"),
        "licence_not_yet_valid": _("not valid yet"),
        "licence_suspended": _("suspended"),
        "licence_revoked": _("revoked"),
        "licence_rejected": _("could not be verified"),
    }[reason]


def _credential_name(credential: _Credential) -> str:
    """The credential as the law names it ("SIPPK (...) or SILP (...)"), in the reader's language."""
    kinds = [kind.strip() for kind in credential.licence_kinds.split(",")]  # in the order the rule lists them
    names = [str(LicenceKind(kind).label) for kind in kinds if kind in LicenceKind.values]
    return _(" or ").join(names) if names else credential.label


def jurisdiction_gate(*, counselor, country: str, region: str = "", at: datetime) -> GateResult:
    """May `counselor` counsel a client located in country/region at `at`?

    Counseling takes place where the client is at the time (ACA H.1.b). Yes only if the counselor meets
    in full one practice rule of that place (PracticeRule: every credential it requires, each a verified
    licence valid on that day; a compact privilege there counts for a licence of its home licence's
    kind). A credential that is not `anywhere_in_jurisdiction` needs a licence whose jurisdiction covers
    the client's place (a country-level licence covers every region; a regional one only its region).
    Otherwise no, naming what is missing, with a link for the client (choose another counselor) and one
    for the counselor (their licences page). A place without a rule is refused: fail closed.
    """
    country = (country or "").strip().upper()
    region = (region or "").strip().upper()
    if not country:
        return GateResult.refuse(
            "location_unknown", refusal_message("location_unknown"), reverse("licensing:directory")
        )
    read = _credentials_of(counselor)
    if read is not None:  # shared with the consent's disclosure (counselor_credentials_once): that country's rows
        licences = [licence for licence in read.licences if licence.jurisdiction.country == country]
        privileges = [privilege for privilege in read.privileges if privilege.jurisdiction.country == country]
    else:
        licences = list(
            Licence.objects.filter(counselor_id=counselor.pk, jurisdiction__country=country).select_related(
                "jurisdiction"
            )
        )
        privileges = list(
            CompactPrivilege.objects.filter(counselor_id=counselor.pk, jurisdiction__country=country)
            .select_related("jurisdiction", "home_licence", "agreement")
            .prefetch_related("agreement__members")
        )
    return _decide(
        rules=practice_rules(country=country),
        licences=licences,
        privileges=privileges,
        country=country,
        region=region,
        day=_day(at),
        place_name=None,  # named only in a refusal: an allowed gate reads no jurisdiction name
    )


class _RulePlace(NamedTuple):
    """A rule's jurisdiction, as much of it as the gate reads (whom it covers)."""

    country: str
    region: str

    covers = Jurisdiction.covers  # the model's own rule: it reads only country and region


class _Credential(NamedTuple):
    """A RequiredCredential, as much of it as the gate reads."""

    label: str
    licence_kinds: str
    anywhere_in_jurisdiction: bool

    kinds = RequiredCredential.kinds  # the model's own parsing of licence_kinds


class _Rule(NamedTuple):
    """An active PracticeRule, as much of it as the gate reads: its place and its credentials in their order."""

    jurisdiction: _RulePlace
    credentials: list[_Credential]


def _active_rules(*, country: str):
    """The active rules of a country and its regions, each with its credentials (a row each, or one row of NULLs for
    a rule without any: a LEFT OUTER JOIN through the reverse relation), in the models' default orders: the rules by
    jurisdiction (country, region) and profession, each rule's credentials by (position, pk)."""
    return (
        PracticeRule.objects.filter(is_active=True, jurisdiction__country=country)
        .order_by(
            "jurisdiction__country",
            "jurisdiction__region",
            "profession",
            "pk",
            "credentials__position",
            "credentials__pk",
        )
        .values_list(
            "pk",
            "jurisdiction__country",
            "jurisdiction__region",
            "credentials__pk",
            "credentials__label",
            "credentials__licence_kinds",
            "credentials__anywhere_in_jurisdiction",
        )
    )


def practice_rules(*, country: str) -> list[_Rule]:
    """The active practice rules of a country and its regions, with their credentials, in their default order (as
    PracticeRule.objects would give them, each with credentials.all()). Its statement is composed once per process
    (counseling.statements): composing it cost ~2 ms of Python on every page that asks the gate."""
    values = {"country": country.upper()}
    statement = composed_for(("practice_rules",), _active_rules, values)
    rules: dict[int, _Rule] = {}
    for rule_id, place_country, place_region, credential_id, label, licence_kinds, anywhere in statement.tuples(values):
        rule = rules.get(rule_id)
        if rule is None:
            rule = rules[rule_id] = _Rule(_RulePlace(place_country, place_region), [])
        if credential_id is not None:
            rule.credentials.append(_Credential(label, licence_kinds, anywhere))
    return list(rules.values())


def _rules_of_place(rules, *, country: str, region: str) -> list:
    """A region's own rules replace the country's there; otherwise the country's rules apply."""
    covering = [rule for rule in rules if rule.jurisdiction.covers(country=country, region=region)]
    regional = [rule for rule in covering if rule.jurisdiction.region]
    return regional or covering


def _credential_refusal(credential, *, rule, licences, privileges, country: str, region: str, day: date) -> str:
    """Why the counselor does not meet this one credential on `day` ("" if they do)."""
    kinds = credential.kinds
    reasons: list[str] = []
    for licence in licences:
        if licence.kind not in kinds:
            continue
        place = licence.jurisdiction
        if credential.anywhere_in_jurisdiction:
            if not rule.jurisdiction.covers(country=place.country, region=place.region):
                continue
        elif not place.covers(country=country, region=region):
            continue
        reason = _licence_refusal(licence, day)
        if not reason:
            return ""
        reasons.append(reason)
    for privilege in privileges:
        if privilege.home_licence.kind not in kinds or not privilege.jurisdiction.covers(
            country=country, region=region
        ):
            continue
        reason = _privilege_refusal(privilege, day)
        if not reason:
            return ""
        if reason != "no_licence_there":
            reasons.append(reason)
    known = [r for r in _REFUSAL_ORDER if r in reasons]
    return known[0] if known else "credential_missing"


def _decide(*, rules, licences, privileges, country: str, region: str, day: date, place_name: str | None) -> GateResult:
    """The gate's answer from the place's rules and the counselor's licences and privileges in that country."""
    place_rules = _rules_of_place(rules, country=country, region=region)
    directory_url = reverse("licensing:directory")
    if not place_rules:
        return GateResult.refuse("no_rule_there", refusal_message("no_rule_there"), directory_url)
    best: list[tuple[RequiredCredential, str]] | None = None
    for rule in place_rules:
        unmet = []
        for credential in rule.credentials:
            reason = _credential_refusal(
                credential,
                rule=rule,
                licences=licences,
                privileges=privileges,
                country=country,
                region=region,
                day=day,
            )
            if reason:
                unmet.append((credential, reason))
        if not unmet:
            return GateResult.ok()
        held_some = len(unmet) < len(rule.credentials) or any(r != "credential_missing" for _c, r in unmet)
        if held_some and (best is None or len(unmet) < len(best)):
            best = unmet
    if best is None:
        # Nothing the place's rules ask for: the counselor is simply not licensed there.
        reason = "no_licence_there"
        missing = ""
    else:
        reasons = [r for _c, r in best]
        known = [r for r in _REFUSAL_ORDER if r in reasons]
        reason = known[0] if known else "credential_missing"
        missing = "; ".join(
            _("%(credential)s: %(problem)s") % {"credential": _credential_name(c), "problem": _problem_words(r)}
            for c, r in best
        )
    if place_name is None:
        place_name = _place_label(country=country, region=region)
    client_message = refusal_message(reason)
    counselor_message = _("You may not counsel clients in %(place)s at that time.") % {"place": place_name}
    if missing:
        client_message += " " + _("Required there and not valid at that time: %(missing)s.") % {"missing": missing}
        counselor_message += " " + _("Required there and not valid at that time: %(missing)s.") % {"missing": missing}
    client_message += " " + _("Please choose another counselor.")
    counselor_message += " " + _("Add or renew it on your licences page; an admin checks it with the issuing body.")
    return GateResult.refuse(
        reason,
        client_message,
        directory_url,
        counselor_message=counselor_message,
        counselor_action_url=reverse("licensing:my_licences"),
    )


def place_label(*, country: str, region: str) -> str:
    """The name of a place (a region's, else its country's), for a page that says where the client is."""
    return _place_label(country=country, region=region)


def _place_label(*, country: str, region: str, jurisdictions: list[JurisdictionRow] | None = None) -> str:
    """`jurisdictions`: every jurisdiction, when the request has read them already (jurisdiction_table)."""
    if jurisdictions is None:
        rows = Jurisdiction.objects.filter(country=country, region__in=[region, ""]).values_list("region", "name")
    else:
        rows = [
            (row.region, row.name) for row in jurisdictions if row.country == country and row.region in (region, "")
        ]
    names = dict(rows)
    return names.get(region) or names.get("") or region or country


def jurisdiction_choices() -> QuerySet[Jurisdiction]:
    return Jurisdiction.objects.all()


class JurisdictionRow(NamedTuple):
    """A Jurisdiction as plain values (jurisdiction_table), with the model's code and covers."""

    pk: int
    country: str
    region: str
    name: str

    code = Jurisdiction.code  # the model's own: they read only country and region
    covers = Jurisdiction.covers


def _every_jurisdiction():
    return Jurisdiction.objects.values_list("pk", "country", "region", "name")  # the model's order: country, region


def jurisdiction_table() -> list[JurisdictionRow]:
    """Every jurisdiction (some 90), in their order, read once for a page that asks several things of them. Its
    statement is composed once per process (counseling.statements): the ORM's query and ~90 model instances cost
    ~1 ms of CPU on every directory page, ten times reading these rows."""
    statement = composed_for(("jurisdiction_table",), _every_jurisdiction, {})
    return [JurisdictionRow(*row) for row in statement.tuples({})]


def jurisdiction_named(*, jurisdictions: list[JurisdictionRow], country: str, region: str) -> JurisdictionRow | None:
    """The jurisdiction country/region among `jurisdictions` (jurisdiction_table), or None."""
    return next((row for row in jurisdictions if row.country == country and row.region == region), None)


def jurisdiction_name(*, country: str, region: str) -> str:
    """The name of a region ("DI Yogyakarta" for ID-YO), or "" when it is not a known jurisdiction."""
    return (
        Jurisdiction.objects.filter(country=country.upper(), region=region.upper())
        .values_list("name", flat=True)
        .first()
        or ""
    )


def valid_jurisdiction(*, country: str, region: str = "") -> bool:
    country, region = country.strip().upper(), region.strip().upper()
    if not country:
        return False
    if region and not region.startswith(country + "-"):
        return False
    return Jurisdiction.objects.filter(country=country, region=region).exists() or (
        bool(region) and Jurisdiction.objects.filter(country=country, region="").exists()
    )


@dataclass
class DirectoryEntry:
    """One counselor in the directory. directory_entries fills what ranking and filtering read, for every listed
    counselor; directory_cards fills what a card shows (the counselor, the places of their valid licences; the
    valid privileges directory_entries set) for the page shown."""

    counselor_id: int
    name: str  # the profile's display name
    language_codes: list[str]
    speciality_list: list[str]
    gate: GateResult | None = None
    counselor: User | None = None  # set by directory_cards (or directory_next_free), with its profile
    licence_places: list[str] = field(default_factory=list)  # the names of their valid licences' jurisdictions
    privileges: list[_PrivilegeFacts] = field(default_factory=list)  # the valid ones, as plain values
    next_free: datetime | None = None  # set by directory_next_free
    # Each valid licence's (sort keys..., jurisdiction name), from directory_entries: directory_cards orders them.
    valid_licences: list[tuple] = field(default_factory=list, repr=False)
    # The profile's columns a card and the next free time read (_CARD_PROFILE_COLUMNS), from directory_entries.
    profile_row: tuple = field(default=(), repr=False)

    @property
    def profile(self):
        return self.counselor.counselor_profile

    @property
    def bookable(self) -> bool:
        return bool(self.gate)


def _valid_licence_filter(day: date) -> Q:
    return Q(state=LicenceState.VERIFIED, valid_from__lte=day, expires_on__gte=day)


# The consent's disclosure lists licences in this order, and a client accepts the hash of that text: the order must
# not depend on the database's own (two licences of one kind in one country, in two US states say, once came back
# swapped after one was updated, and every client of that counselor was asked to consent again for nothing).
_PUBLIC_LICENCE_ORDER = ("jurisdiction__country", "kind", "pk")


def public_licences(*, counselor, at: datetime) -> list[Licence]:
    """Verified licences valid today: what a profile may show publicly."""
    day = _day(at)
    return list(
        Licence.objects.filter(_valid_licence_filter(day), counselor=counselor)
        .select_related("issuing_body", "jurisdiction")
        .order_by(*_PUBLIC_LICENCE_ORDER)
    )


def public_privileges(*, counselor, at: datetime) -> list[CompactPrivilege]:
    day = _day(at)
    rows = (
        CompactPrivilege.objects.filter(counselor=counselor, revoked_at__isnull=True)
        .select_related("jurisdiction", "agreement", "home_licence__jurisdiction")
        .prefetch_related("agreement__members")
    )
    return [p for p in rows if not _privilege_refusal(p, day)]


# Whether the licence's counselor holds any compact privilege, as SQL on the licence's own row: the ORM's Exists
# with an OuterRef costs about 0.2 ms more Python to build and compile, on every page that asks the gates.
_COUNSELOR_HAS_PRIVILEGES = """EXISTS (
    SELECT 1 FROM licensing_compactprivilege AS privilege WHERE privilege.counselor_id = licensing_licence.counselor_id
)"""


def _credentials_licences():
    """Licences as the shared read keeps them: with issuing body and jurisdiction, and whether their counselor
    holds any compact privilege, asked in the same statement (most hold none: then no privileges query). Without
    the evidence document (read on its own by licence_evidence_read): these rows are read on every page that asks
    the consent or jurisdiction gate."""
    return (
        Licence.objects.select_related("issuing_body", "jurisdiction")
        .annotate(
            counselor_has_privileges=RawSQL(_COUNSELOR_HAS_PRIVILEGES, (), output_field=BooleanField())  # noqa: S611
        )
        .defer("evidence_sealed")
    )


def _counselor_licences(*, counselor: int) -> QuerySet[Licence]:
    return _credentials_licences().filter(counselor_id=counselor).order_by()


class _CounselorCredentials:
    """Every licence and compact privilege of one counselor, each read at its first use and then kept
    (counselor_credentials_once). The licences in public_licences' order, the privileges in public_privileges'
    (their default order), with what the disclosure and the gate read of them."""

    def __init__(self, counselor_id: int, licences: list[Licence] | None = None):
        self.counselor_id = counselor_id
        self._licences = None if licences is None else sorted(licences, key=_public_licence_order)
        self._privileges: list[CompactPrivilege] | None = None

    @property
    def licences(self) -> list[Licence]:
        if self._licences is None:
            values = {"counselor": self.counselor_id}
            # Sorted here as the database would (_public_licence_order): an ORDER BY across the jurisdiction's join
            # costs ~0.17 ms of Python to compile, on every page that asks the consent or jurisdiction gate. The
            # statement itself is composed once per process (composing it cost ~1.2 ms, running it ~0.2 ms).
            self._licences = sorted(
                composed_for(("licensing.credentials_licences",), _counselor_licences, values).instances(values),
                key=_public_licence_order,
            )
        return self._licences

    @property
    def privileges(self) -> list[CompactPrivilege]:
        if self._privileges is None:
            if self.licences and not self.licences[0].counselor_has_privileges:
                self._privileges = []
            else:
                self._privileges = list(
                    CompactPrivilege.objects.filter(counselor_id=self.counselor_id)
                    .select_related("jurisdiction", "agreement", "home_licence__jurisdiction")
                    .prefetch_related("agreement__members")
                    # Their default order (counselor, jurisdiction), spelt out: the same rows in the same order,
                    # compiled without looking up the jurisdiction's own ordering.
                    .order_by("jurisdiction__country", "jurisdiction__region")
                )
        return self._privileges


def _public_licence_order(licence: Licence) -> tuple[str, str, int]:
    # _PUBLIC_LICENCE_ORDER in Python: ISO country codes and LicenceKind values are codes of ASCII letters that
    # differ before any "_", so Python sorts them as any collation of the database does; then the id.
    return (licence.jurisdiction.country, licence.kind, licence.pk)


def counselor_credentials_once(*, counselor, licences: list[Licence] | None = None) -> None:
    """Let the consent's disclosure (licence_disclosure_lines) and the jurisdiction gate share one read of the
    counselor's licences and compact privileges, for a page that asks both gates about `counselor`: read at the
    first use, then kept on the object (a page whose gates stop before either reads nothing). Only for a request's
    own objects: an object kept longer (a chat connection's) would keep them as they were. Not Django's prefetch
    cache: a prefetch of `licences` made for another purpose (some of them only) must never feed the gate.

    `licences`: every licence of the counselor, just read as _credentials_licences reads them (the caseload's
    counselor_application), to spare that read."""
    if _credentials_of(counselor) is None:
        counselor._credentials_once = _CounselorCredentials(counselor.pk, licences)


def _credentials_of(counselor) -> _CounselorCredentials | None:
    read = getattr(counselor, "_credentials_once", None)
    return read if isinstance(read, _CounselorCredentials) and read.counselor_id == counselor.pk else None


def _ties(rows, key) -> bool:
    keys = [key(row) for row in rows]
    return len(set(keys)) < len(keys)


def licence_disclosure_lines(*, counselor, at: datetime) -> list[str]:
    """The counselor's credentials as the consent discloses them (consent.disclosure): each verified
    licence valid on that day with its issuing body, and each valid compact privilege. Unverified,
    rejected, expired or suspended licences are never listed."""
    read = _credentials_of(counselor)
    if read is None:
        licences, privileges = (
            public_licences(counselor=counselor, at=at),
            public_privileges(counselor=counselor, at=at),
        )
    else:  # the rows public_licences and public_privileges keep, in their order
        day = _day(at)
        licences = [licence for licence in read.licences if licence.is_valid_on(day)]
        privileges = [p for p in read.privileges if p.revoked_at is None and not _privilege_refusal(p, day)]
        # Privileges that tie on the sort keys come in an order of the database's own, which may differ between two
        # queries: then the disclosure (whose hash the client accepted) takes them as public_privileges reads them.
        if _ties(privileges, lambda p: (p.jurisdiction.country, p.jurisdiction.region)):
            privileges = public_privileges(counselor=counselor, at=at)
    shown = (
        get_language(),
        tuple(
            (
                licence.kind,
                licence.number,
                licence.jurisdiction.name,
                licence.issuing_body.name,
                licence.issuing_body.registry_url,
                licence.expires_on,
            )
            for licence in licences
        ),
        tuple(
            (
                privilege.jurisdiction.name,
                privilege.agreement.name,
                privilege.home_licence.number,
                privilege.home_licence.jurisdiction.name,
            )
            for privilege in privileges
        ),
    )
    lines = _disclosure_lines.get(shown)
    if lines is None:
        if len(_disclosure_lines) >= _DISCLOSURE_LINES_KEPT:
            _disclosure_lines.clear()
        lines = _disclosure_lines[shown] = _disclosure_lines_written(licences=licences, privileges=privileges)
    return list(lines)


# licence_disclosure_lines' lines by what they show (the values of each licence and privilege listed) in the active
# language: the consent gate asks them on every page that books, chats or lists a caseload, the text is the same.
_disclosure_lines: dict[tuple, tuple[str, ...]] = {}
_DISCLOSURE_LINES_KEPT = 1024


def _disclosure_lines_written(*, licences, privileges) -> tuple[str, ...]:
    lines = [
        _("%(kind)s no. %(number)s, %(place)s, issued by %(body)s (%(register)s), valid until %(until)s")
        % {
            "kind": licence.get_kind_display(),
            "number": licence.number,
            "place": licence.jurisdiction.name,
            "body": licence.issuing_body.name,
            "register": licence.issuing_body.registry_url,
            "until": licence.expires_on.isoformat(),
        }
        for licence in licences
    ]
    lines += [
        _("Privilege to practise in %(place)s under the %(agreement)s, based on the licence no. %(number)s of %(home)s")
        % {
            "place": privilege.jurisdiction.name,
            "agreement": privilege.agreement.name,
            "number": privilege.home_licence.number,
            "home": privilege.home_licence.jurisdiction.name,
        }
        for privilege in privileges
    ]
    return tuple(lines)


class _LicenceFacts(NamedTuple):
    """What the gate (_credential_refusal, _licence_refusal) reads of a licence, read as plain values: the
    directory decides for every listed counselor, and a model instance per licence is its main cost."""

    kind: str
    state: str
    valid_from: date
    expires_on: date
    jurisdiction: JurisdictionRow | None


def _directory_gates(
    *,
    counselor_ids: list[int],
    held_rows: dict[int, list[tuple]],
    privileges: dict[int, list[_PrivilegeFacts]],
    country: str,
    region: str,
    day: date,
    jurisdictions: list[JurisdictionRow],
) -> dict[int, GateResult]:
    """The gate's answer (`_decide`, the one implementation) for each of `counselor_ids` in country/region, with
    `held_rows` ({counselor id: (kind, state, valid from, expires on, jurisdiction, refusal, id, jurisdiction id)
    of each licence in that country}) and `privileges` ({counselor id: every compact privilege}).

    `_decide` depends on a licence only through its kind, its jurisdiction and `_licence_refusal` on `day`, and on
    a privilege only through its home licence's kind, its jurisdiction and `_privilege_refusal` on `day`, each
    taken as a set (order and repeats change nothing). Counselors whose licences and privileges there agree on
    those are decided once: most of a directory holds the same few kinds of licence, valid. The facts `_decide`
    reads are made only for the counselors it decides (a few), from their rows.
    """
    rules = practice_rules(country=country)
    place_name = _place_label(country=country, region=region, jurisdictions=jurisdictions)
    decided: dict[tuple, GateResult] = {}
    gates = {}
    none = frozenset()
    for pk in counselor_ids:
        rows = held_rows.get(pk, ())
        privileged = [p for p in privileges[pk] if p.jurisdiction.country == country] if pk in privileges else []
        key = (
            frozenset([(row[0], row[7], row[5]) for row in rows]) if rows else none,  # (kind, place id, refusal)
            frozenset([(p.home_licence.kind, p.jurisdiction_id, _privilege_refusal(p, day)) for p in privileged])
            if privileged
            else none,
        )
        if key not in decided:
            decided[key] = _decide(
                rules=rules,
                licences=[_LicenceFacts(*row[:5]) for row in rows],
                privileges=privileged,
                country=country,
                region=region,
                day=day,
                place_name=place_name,
            )
        gates[pk] = decided[key]
    return gates


def _jurisdictions_by_id(jurisdictions: list[JurisdictionRow] | None, ids) -> tuple[list[JurisdictionRow], dict]:
    """(every jurisdiction, {id: jurisdiction}): `jurisdictions` if it holds each of `ids`, else read again (one
    added since it was read)."""
    if jurisdictions is not None:
        by_id = {row.pk: row for row in jurisdictions}
        if by_id.keys() >= ids:
            return jurisdictions, by_id
    jurisdictions = jurisdiction_table()
    return jurisdictions, {row.pk: row for row in jurisdictions}


def directory_entries(
    *, at: datetime, country: str = "", region: str = "", jurisdictions: list[JurisdictionRow] | None = None
) -> list[DirectoryEntry]:
    """Counselors with at least one verified, currently valid licence, bookable ones first (then by name), each
    with a gate answer for the given place (None when the place is unknown). `jurisdictions`: every jurisdiction,
    in their order, when the request has read them already (jurisdiction_table).

    What ranking and filtering read, for every listed counselor, in a fixed number of queries whatever their
    number; directory_cards completes the entries of the page shown.
    """
    day = _day(at)
    country, region = (country or "").strip().upper(), (region or "").strip().upper()
    # Every licence at once, as plain values: who is listed (a licence valid on that day), the gate's rows (those in
    # the country) and a card's places (the valid ones), so the page's cards need no query of their own; their
    # jurisdictions are the table's. This read, the privileges' and the profiles' below depend on no value of the
    # request: each statement is composed once per process (counseling.statements).
    rows = composed_for(("directory_licences",), _every_licence, {}).tuples({})
    # Every compact privilege at once, for the gate and the cards, as plain values: there are few. A row for each
    # member of its agreement (one of NULL without any), so one statement reads what a select_related and a prefetch
    # of the members read in two model instances at a time. Their jurisdictions are the table's (joined, they cost
    # more to compile than to read), and so is their order below.
    privilege_rows: dict[int, tuple] = {}
    member_ids: dict[int, set[int]] = defaultdict(set)
    privileges_statement = composed_for(("directory_privileges",), _every_privilege, {})
    for *privilege_row, member_id in privileges_statement.tuples({}):
        privilege_rows.setdefault(privilege_row[0], tuple(privilege_row))
        if member_id is not None:
            member_ids[privilege_row[0]].add(member_id)
    jurisdictions, places = _jurisdictions_by_id(
        jurisdictions,
        {row[5] for row in rows}.union(*((row[2], row[10]) for row in privilege_rows.values())),
    )
    # A card lists its places as a query ordered by (country, kind, region, id) would: the table's order is the
    # database's (country, region) order, so a country's first row there and each row's own rank stand in for the
    # two codes, whatever the database's collation; kinds are ASCII codes, sorted alike by Python.
    country_rank: dict[str, int] = {}
    place_rank: dict[int, int] = {}
    for rank, row in enumerate(jurisdictions):
        country_rank.setdefault(row.country, rank)
        place_rank[row.pk] = rank
    refusals: dict[tuple, str] = {}  # _licence_refusal by (state, valid from, expires on): few differ
    # Those with a licence valid on that day are listed: each valid licence's (sort keys..., place name) for a card.
    valid_of: dict[int, list[tuple]] = defaultdict(list)
    held_rows: dict[int, list[tuple]] = defaultdict(list)  # the gate's: each licence in the country, with its refusal
    for counselor_id, kind, state, valid_from, expires_on, place_id, pk in rows:
        dates = (state, valid_from, expires_on)
        refusal = refusals.get(dates)
        if refusal is None:
            refusal = refusals[dates] = _licence_refusal(_LicenceFacts(kind, *dates, None), day)
        place = places[place_id]
        if not refusal:
            valid_of[counselor_id].append((country_rank[place.country], kind, place_rank[place_id], pk, place.name))
        if country and place.country == country:
            held_rows[counselor_id].append((kind, state, valid_from, expires_on, place, refusal, pk, place_id))
    # The active counselors' profiles (those listed are known from their licences: a subquery costs more to build).
    profiles = composed_for(("directory_profiles",), _active_profiles, {}).tuples({})
    entries = []
    items: dict[str, list[str]] = {}  # comma_items by text: most profiles name the same few languages
    for row in profiles:
        counselor_id, name, languages, specialities = row[1:5]
        valid = valid_of.get(counselor_id)
        if valid is None:
            continue  # no licence valid on that day: not listed
        if languages not in items:
            items[languages] = comma_items(languages)
        if specialities not in items:
            items[specialities] = comma_items(specialities)
        entries.append(
            DirectoryEntry(
                counselor_id=counselor_id,
                name=name,
                language_codes=items[languages].copy(),
                speciality_list=items[specialities].copy(),
                valid_licences=valid,
                profile_row=row,
            )
        )
    by_id = {entry.counselor_id: entry for entry in entries}
    privileges: dict[int, list[_PrivilegeFacts]] = defaultdict(list)
    # Each counselor's in their default order (counselor, jurisdiction: its country and region), the table's rank
    # standing in for the jurisdiction as above; the id orders two in one jurisdiction, where the database's own
    # order would.
    for pk, counselor_id, place_id, revoked_at, agreement_kinds, *home in sorted(
        privilege_rows.values(), key=lambda row: (place_rank[row[2]], row[0])
    ):
        privileges[counselor_id].append(
            _PrivilegeFacts(
                pk=pk,
                counselor_id=counselor_id,
                jurisdiction_id=place_id,
                jurisdiction=places[place_id],
                revoked_at=revoked_at,
                home_licence=_HomeLicenceFacts(*home, places[home[-1]]),
                agreement=_AgreementFacts(agreement_kinds, frozenset(member_ids[pk])),
            )
        )
    for counselor_id, held in privileges.items():
        entry = by_id.get(counselor_id)
        if entry is not None:
            entry.privileges = [p for p in held if not _privilege_refusal(p, day)]
    if country:
        gates = _directory_gates(
            counselor_ids=[entry.counselor_id for entry in entries],
            held_rows=held_rows,
            privileges=privileges,
            country=country,
            region=region,
            day=day,
            jurisdictions=jurisdictions,
        )
        for entry in entries:
            entry.gate = gates[entry.counselor_id]
    # Bookable first, then by name: a client sees who can help them before who cannot.
    entries.sort(key=lambda e: (not e.bookable, e.name.lower()))
    return entries


# What directory_entries reads of each compact privilege (_PrivilegeFacts), and one member of its agreement.
_PRIVILEGE_COLUMNS = (
    "pk",
    "counselor_id",
    "jurisdiction_id",
    "revoked_at",
    "agreement__licence_kinds",
    "home_licence__counselor_id",
    "home_licence__kind",
    "home_licence__state",
    "home_licence__valid_from",
    "home_licence__expires_on",
    "home_licence__jurisdiction_id",
    "agreement__members",
)


def _every_licence():
    return Licence.objects.order_by().values_list(
        "counselor_id", "kind", "state", "valid_from", "expires_on", "jurisdiction_id", "pk"
    )


def _every_privilege():
    return CompactPrivilege.objects.order_by().values_list(*_PRIVILEGE_COLUMNS)


# What directory_entries reads of each profile: its ranking and filters read user_id to specialities, counselor_cards
# shows the rest and directory_next_free lays the hours out in its time zone.
_CARD_PROFILE_COLUMNS = (
    "id",
    "user_id",
    "display_name",
    "languages",
    "specialities",
    "professional_title",
    "time_zone",
)


def _active_profiles():
    return (
        CounselorProfile.objects.filter(user__role=Role.COUNSELOR, user__is_active=True)
        .order_by("display_name", "user_id")
        .values_list(*_CARD_PROFILE_COLUMNS)
    )


def _card_counselor(entry: DirectoryEntry) -> User:
    """The entry's counselor with their profile, as a query with select_related and only() would give them, made
    from the profile's row directory_entries read: no query of their own. What a card and the next free time read
    is loaded; the rest is deferred (read if ever asked for, never wrong)."""
    db = router.db_for_read(CounselorProfile)
    counselor = User.from_db(db, ["id"], [entry.counselor_id])
    loaded = dict(zip(_CARD_PROFILE_COLUMNS, entry.profile_row, strict=True))
    names = [f.attname for f in CounselorProfile._meta.concrete_fields if f.attname in loaded]
    profile = CounselorProfile.from_db(db, names, [loaded[name] for name in names])
    # Both sides of the one-to-one, as select_related sets them.
    relation = CounselorProfile._meta.get_field("user")
    relation.set_cached_value(profile, counselor)
    relation.remote_field.set_cached_value(counselor, profile)
    return counselor


def directory_cards(entries: list[DirectoryEntry]) -> None:
    """Complete the entries of the page shown: the counselor and their profile (from the row read), and the places of
    their verified licences valid on that day, in order (directory_entries read them, with the valid privileges a
    card shows too)."""
    entries = list(entries)
    if not entries:
        return
    for entry in entries:
        entry.counselor = _card_counselor(entry)
        entry.licence_places = [licence[-1] for licence in sorted(entry.valid_licences)]


def directory_specialities(entries: list[DirectoryEntry]) -> list[str]:
    """Every speciality the listed counselors name, once each (case aside), sorted: the filter's choices."""
    seen: dict[str, str] = {}
    for entry in entries:
        for item in entry.speciality_list:
            seen.setdefault(item.casefold(), item)
    return sorted(seen.values(), key=str.casefold)


def directory_filter(
    entries: list[DirectoryEntry], *, at: datetime, language: str = "", speciality: str = "", within_days: int = 0
) -> list[DirectoryEntry]:
    """The directory's entries a visitor asked for: counselors who speak `language`, name `speciality` (case
    aside) and, with `within_days`, have a free time within that many days (those entries get their next free
    time here; directory_next_free gives it to the others, for the page shown)."""
    chosen = [
        entry
        for entry in entries
        if (not language or language in entry.language_codes)
        and (not speciality or speciality.casefold() in {s.casefold() for s in entry.speciality_list})
    ]
    if not within_days:
        return chosen
    directory_next_free(chosen, at=at, within_days=within_days)
    return [entry for entry in chosen if entry.next_free is not None]


def directory_next_free(entries, *, at: datetime, within_days: int = 0) -> None:
    """Each entry's next free time (licensing.hooks: sessions knows it), within the booking horizon or
    `within_days`, for all of them at once."""
    entries = list(entries)
    missing = [entry for entry in entries if entry.counselor is None]
    for entry in missing:
        # With their profile: its time zone lays out their hours.
        entry.counselor = _card_counselor(entry)
    horizon = within_days or settings.BOOKING_HORIZON_DAYS
    free = next_free_slots(counselors=[entry.counselor for entry in entries], at=at, within_days=horizon)
    for entry in entries:
        entry.next_free = free[entry.counselor_id]


def access_counselor_public(*, counselor_id: int) -> User:
    """An active counselor's public profile; anything else is 404."""
    counselor = (
        User.objects.filter(pk=counselor_id, role=Role.COUNSELOR, is_active=True, counselor_profile__isnull=False)
        .select_related("counselor_profile")
        .first()
    )
    if counselor is None:
        raise Http404
    return counselor


def access_licence(*, user, licence_id: int) -> Licence:
    """The licence if `user` is an admin or the counselor who holds it, else 404."""
    licence = (
        Licence.objects.select_related(
            "counselor__counselor_profile", "issuing_body", "jurisdiction", "submitted_by", "decided_by"
        )
        .filter(pk=licence_id)
        .first()
    )
    if licence is None or not user.is_authenticated:
        raise Http404
    if user.role == Role.ADMIN or (user.role == Role.COUNSELOR and licence.counselor_id == user.pk):
        return licence
    raise Http404


def verification_queue() -> QuerySet[Licence]:
    return (
        Licence.objects.filter(state=LicenceState.SUBMITTED)
        .select_related("counselor__counselor_profile", "issuing_body", "jurisdiction", "submitted_by")
        .order_by("submitted_at")
    )


def licences_recently_decided(*, limit: int = 20) -> QuerySet[Licence]:
    return (
        Licence.objects.exclude(state=LicenceState.SUBMITTED)
        .select_related("counselor__counselor_profile", "issuing_body", "jurisdiction", "decided_by")
        .order_by("-state_changed_at")[:limit]
    )


def counselor_licences(*, counselor) -> QuerySet[Licence]:
    return (
        Licence.objects.filter(counselor=counselor)
        .select_related("issuing_body", "jurisdiction")
        .order_by("-submitted_at")
    )


def counselor_privileges(*, counselor) -> QuerySet[CompactPrivilege]:
    return CompactPrivilege.objects.filter(counselor=counselor).select_related(
        "jurisdiction", "agreement", "home_licence__jurisdiction"
    )


def licence_history(*, licence: Licence):
    """The audit trail of one licence: every state change, with who did it."""
    return AuditEntry.objects.filter(target_type="licensing.licence", target_id=str(licence.pk)).order_by("sequence")


def open_lapse_notices(*, client) -> list[LapseNotice]:
    """The client's notices not dismissed, newest first, with their counselor's profile and licence's place."""
    values = {"client": getattr(client, "pk", client)}
    # Most clients have none: asked first without the four tables a notice shows, which cost more to join (and
    # build) than a second query costs the few who have one. Both statements composed once per process.
    if not composed_for(("licensing.lapse_notices_any",), _any_open_lapse_notice, values).tuples(values, high=1):
        return []
    return composed_for(("licensing.lapse_notices_open",), _open_lapse_notices, values).instances(values)


def _not_dismissed(*, client: int) -> QuerySet[LapseNotice]:
    return LapseNotice.objects.filter(client=client, dismissed_at__isnull=True)


def _open_lapse_notices(*, client: int) -> QuerySet[LapseNotice]:
    return _not_dismissed(client=client).select_related("counselor__counselor_profile", "licence__jurisdiction")


def _any_open_lapse_notice(*, client: int) -> QuerySet[LapseNotice]:
    # What notices.exists() asks: any row, in no order.
    return _not_dismissed(client=client).order_by().values_list("pk")


# A licence counts for retention once it was accepted: a submission never checked or refused never made
# its place's law apply to anyone's records. An expired, suspended or revoked licence still does: the
# records made while it was valid stay under that place's law.
_NEVER_ACCEPTED = [LicenceState.SUBMITTED, LicenceState.REJECTED]


def counselor_licence_places(counselor_ids) -> set[tuple[str, str]]:
    """Every (country, region) where these counselors hold or held a licence, or a compact privilege.

    A privilege counts: a counselor practising under one follows the law of that member state (Counseling
    Compact, art. on the privilege to practise). Registered with the retention engine (licensing.receivers).
    """
    counselor_ids = list(counselor_ids)
    if not counselor_ids:
        return set()
    licensed = (
        Licence.objects.filter(counselor_id__in=counselor_ids)
        .exclude(state__in=_NEVER_ACCEPTED)
        .values_list("jurisdiction__country", "jurisdiction__region")
    )
    privileged = CompactPrivilege.objects.filter(counselor_id__in=counselor_ids).values_list(
        "jurisdiction__country", "jurisdiction__region"
    )
    return set(licensed) | set(privileged)


# --- Counselor applications (issue 20): who has applied and how far they are --------------------------------------


@dataclass
class CounselorApplication:
    """One counselor not (or no longer) in the directory: what they have done and what waits."""

    counselor: User
    email_verified: bool
    second_factor: bool
    profile_complete: bool
    licences: list[Licence]
    listed: bool

    @property
    def state(self) -> str:
        """The one step the application waits for, as a stable code (application_state_label says it in words)."""
        if self.listed:
            return "listed"
        if not self.email_verified:
            return "email"
        if not self.second_factor:
            return "second_factor"
        if not self.licences:
            return "licence_missing"
        if any(licence.state == LicenceState.SUBMITTED for licence in self.licences):
            return "licence_review"
        return "licence_none_valid"

    @property
    def state_label(self) -> str:
        return application_state_label(self.state)

    @property
    def waiting_licences(self) -> list[Licence]:
        return [licence for licence in self.licences if licence.state == LicenceState.SUBMITTED]


def application_state_label(state: str) -> str:
    return {
        "listed": _("In the directory: a licence is verified"),
        "email": _("Waiting for the e-mail address to be confirmed"),
        "second_factor": _("Waiting for the second factor to be set up"),
        "licence_missing": _("No licence submitted yet"),
        "licence_review": _("A licence waits for an admin's review"),
        "licence_none_valid": _("No licence is verified and valid"),
    }[state]


def counselor_profile_complete(profile) -> bool:
    """Everything a client reads before choosing: bio, languages, specialities and approach (the photo is optional)."""
    return all(value.strip() for value in (profile.bio, profile.languages, profile.specialities, profile.approach))


def _application(counselor: User, *, day: date, devices: set[int]) -> CounselorApplication:
    licences = list(counselor.application_licences)
    return CounselorApplication(
        counselor=counselor,
        email_verified=counselor.email_verified_at is not None,
        second_factor=counselor.pk in devices,
        profile_complete=counselor_profile_complete(counselor.counselor_profile),
        licences=licences,
        listed=any(licence.is_valid_on(day) for licence in licences),
    )


def _application_rows(
    counselors: QuerySet[User], *, at: datetime, devices: set[int] | None = None
) -> list[CounselorApplication]:
    """`devices`: the counselors known to have a confirmed authenticator, when that is known (else read)."""
    rows = list(
        counselors.select_related("counselor_profile").prefetch_related(
            # Read as the shared credentials read reads them: a page may hand them on (counselor_credentials_once).
            Prefetch(
                "licences",
                queryset=_credentials_licences().order_by("-submitted_at"),
                to_attr="application_licences",
            )
        )
    )
    if devices is None:
        devices = confirmed_device_owners(user_ids=[row.pk for row in rows])
    return [_application(counselor, day=_day(at), devices=devices) for counselor in rows]


def _application_counselor(*, counselor: int):
    return User.objects.filter(pk=counselor, counselor_profile__isnull=False).select_related("counselor_profile")


def _application_licences(*, counselor: int):
    # _application_rows' prefetch of one counselor's licences: the same rows in the same order.
    return _credentials_licences().filter(counselor_id=counselor).order_by("-submitted_at")


def counselor_application(*, counselor: User, at: datetime) -> CounselorApplication:
    """The counselor's own application (their checklist page). `counselor` may be request.user: when this
    request's session passed with their authenticator, that answers for the second factor without a query.

    _application_rows' reads for one counselor, each statement composed once per process: the counselor with
    their profile, then (when they have one) their licences, kept as its prefetch keeps them."""
    values = {"counselor": counselor.pk}
    rows = composed_for(("counselor_application",), _application_counselor, values).instances(values)
    row = rows[0]  # IndexError for a user without a counselor profile, as _application_rows(...)[0]
    licences = composed_for(("counselor_application_licences",), _application_licences, values).instances(values)
    for licence in licences:
        licence.counselor = row  # as the prefetch of the reverse relation sets it
    row.application_licences = licences
    devices = {row.pk} if passed_with_authenticator(counselor) else confirmed_device_owners(user_ids=[row.pk])
    return _application(row, day=_day(at), devices=devices)


def counselor_applications(*, at: datetime) -> list[CounselorApplication]:
    """Every active counselor who is not in the directory (no verified licence valid today), oldest first: the
    admins' queue of applications. Counselors whose licences all lapsed show here again."""
    day = _day(at)
    counselors = (
        User.objects.filter(role=Role.COUNSELOR, is_active=True, counselor_profile__isnull=False)
        .exclude(licences__in=Licence.objects.filter(_valid_licence_filter(day)))
        .order_by("date_joined")
    )
    return _application_rows(counselors, at=at)
