"""Small builders for licensing tests. Seeded rows may be flushed by transactional tests, so every
builder uses get_or_create."""

from datetime import UTC, date, datetime, timedelta
from importlib import import_module

from django.apps import apps

from licensing.models import (
    CompactPrivilege,
    IssuingBody,
    Jurisdiction,
    Licence,
    LicenceState,
    PracticeAgreement,
)

TODAY = date(2026, 11, 25)
NOON = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def place(code: str, name: str = "") -> Jurisdiction:
    country = code.split("-", 1)[0]
    region = code if "-" in code else ""
    row, _ = Jurisdiction.objects.get_or_create(country=country, region=region, defaults={"name": name or code})
    return row


def body(
    name: str = "Himpunan Psikologi Indonesia (HIMPSI)", code: str = "ID", url: str = "https://himpsi.or.id/"
) -> IssuingBody:
    row, _ = IssuingBody.objects.get_or_create(name=name, defaults={"registry_url": url, "jurisdiction": place(code)})
    return row


def practice_rules_seeded() -> None:
    """The practice rules the migration seeds (Indonesia: STR + SIPPK or SILP; US: the state's LPC)."""
    place("ID", "Indonesia")
    place("US", "United States")
    import_module("licensing.migrations.0005_seed_practice_rules").seed(apps, None)


def licence(
    counselor,
    code: str = "ID",
    *,
    kind: str = "str",
    state: str = LicenceState.VERIFIED,
    valid_from: date | None = None,
    expires_on: date | None = None,
    submitted_by=None,
    number: str = "STR-1234",
    issuing_body: IssuingBody | None = None,
) -> Licence:
    practice_rules_seeded()
    return Licence.objects.create(
        counselor=counselor,
        submitted_by=submitted_by or counselor,
        issuing_body=issuing_body or body(code=code.split("-", 1)[0]),
        kind=kind,
        number=number,
        jurisdiction=place(code),
        scope="Psychological services",
        state=state,
        valid_from=valid_from or TODAY - timedelta(days=365),
        expires_on=expires_on or TODAY + timedelta(days=365),
    )


def licensed_in_indonesia(counselor, *, permit_place: str = "ID-YO", **dates) -> tuple[Licence, Licence]:
    """What a psychologist needs in Indonesia (the seeded practice rule): an STR and a practice permit (SIPPK),
    both verified; the permit is issued by the city where they practise and counts anywhere in Indonesia."""
    registration = licence(counselor, "ID", number="STR-1234", **dates)
    permit = licence(counselor, permit_place, kind="sippk", number="SIPPK-503/77", **dates)
    return registration, permit


def compact(*member_codes: str) -> PracticeAgreement:
    agreement, _ = PracticeAgreement.objects.get_or_create(
        name="Counseling Compact (US)", defaults={"url": "https://counselingcompact.gov/", "licence_kinds": "us_lpc"}
    )
    agreement.members.add(*[place(code) for code in member_codes])
    return agreement


def privilege(home: Licence, code: str, *, agreement: PracticeAgreement, recorded_by) -> CompactPrivilege:
    return CompactPrivilege.objects.create(
        counselor=home.counselor,
        agreement=agreement,
        home_licence=home,
        jurisdiction=place(code),
        recorded_by=recorded_by,
    )
