"""Small builders for licensing tests. Seeded rows may be flushed by transactional tests, so every
builder uses get_or_create."""

from datetime import UTC, date, datetime, timedelta

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
