"""Demo licences for the two demo counselors, submitted by them and verified by the demo admin
through the same services as the real workflow (so the audit log and checks look real).

- Sari (Yogyakarta): an STR for clinical psychologists (nationwide, ID), the SIPPK practice permit
  the city of Yogyakarta issues for her place of practice (UU 17/2023, Permenkes 45/2017), and a SILP
  for DI Yogyakarta (ID-YO). The SILP expires in 50 days, so the first expiry sweep warns her; the
  SIPPK keeps her practice rule met (licensing.PracticeRule: STR + SIPPK or SILP) after it lapses.
- Ben (Austin): a Texas LPC. Texas is not a Counseling Compact member, so the compact example
  rests on a second LPC from Colorado (a member) with a recorded privilege for Kansas. A demo
  simplification: under the compact the home state is the state of residence.
"""

from __future__ import annotations

import io
from datetime import timedelta

from django.db import transaction
from pypdf import PdfWriter

from counseling.clock import now
from licensing.models import IssuingBody, Jurisdiction, Licence, PracticeAgreement
from licensing.services import licence_submit, licence_verify, privilege_record


def _demo_pdf() -> bytes:
    """One blank page: a real PDF, as the evidence check (counseling.documents) accepts only those."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": "Demo licence scan (not a real document)"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


DEMO_PDF = _demo_pdf()


def _licence(
    *, counselor, admin, body: str, kind: str, number: str, place: str, scope: str, years_left=2, days_left=None
) -> Licence:
    today = now().date()
    jurisdiction = Jurisdiction.objects.get(country=place.split("-", 1)[0], region=place if "-" in place else "")
    issuing_body = IssuingBody.objects.get(name=body)
    row = licence_submit(
        counselor=counselor,
        submitted_by=counselor,
        issuing_body=issuing_body,
        kind=kind,
        number=number,
        jurisdiction=jurisdiction,
        scope=scope,
        valid_from=today - timedelta(days=400),
        expires_on=today + timedelta(days=days_left if days_left is not None else 365 * years_left),
        evidence=DEMO_PDF,
        evidence_filename=f"{number}.pdf",
    )
    licence_verify(
        licence=row,
        admin=admin,
        registry_reference=f"{issuing_body.registry_url} (number {number})",
        registry_finding="Demo: the register lists this number as active, name and dates match.",
        checked_at=now(),
    )
    return row


def demo_licences_seed(*, admin, sari, ben) -> None:
    """Idempotent: a counselor who already has licences is left alone, except that a demo made before
    practice rules existed gets Sari's missing practice permit (SIPPK)."""
    with transaction.atomic():
        if (
            Licence.objects.filter(counselor=sari).exists()
            and not Licence.objects.filter(counselor=sari, kind="sippk").exists()
        ):
            _sari_sippk(sari=sari, admin=admin)
        if not Licence.objects.filter(counselor=sari).exists():
            _licence(
                counselor=sari,
                admin=admin,
                body="Konsil Kesehatan Indonesia (KKI)",
                kind="str",
                number="STR-PK 3471-2023-000123",
                place="ID",
                scope="Psikolog klinis (clinical psychology)",
            )
            _licence(
                counselor=sari,
                admin=admin,
                body="DPMPTSP Kota Yogyakarta (izin layanan psikologi)",
                kind="silp",
                number="SILP 503/0456/2024",
                place="ID-YO",
                days_left=50,
                scope="Layanan psikologi klinis, Kota Yogyakarta",
            )
            _sari_sippk(sari=sari, admin=admin)
        if not Licence.objects.filter(counselor=ben).exists():
            _licence(
                counselor=ben,
                admin=admin,
                body="Texas Behavioral Health Executive Council (LPC board)",
                kind="us_lpc",
                number="LPC 78421",
                place="US-TX",
                scope="Licensed Professional Counselor",
            )
            home = _licence(
                counselor=ben,
                admin=admin,
                body="Colorado DORA, State Board of LPC Examiners",
                kind="us_lpc",
                number="LPC.0019876",
                place="US-CO",
                scope="Licensed Professional Counselor",
            )
            privilege_record(
                admin=admin,
                home_licence=home,
                agreement=PracticeAgreement.objects.get(name="Counseling Compact (US)"),
                jurisdiction=Jurisdiction.objects.get(country="US", region="US-KS"),
                privilege_number="PTP-KS-000321",
            )


def _sari_sippk(*, sari, admin) -> Licence:
    return _licence(
        counselor=sari,
        admin=admin,
        body="DPMPTSP Kota Yogyakarta (izin layanan psikologi)",
        kind="sippk",
        number="SIPPK 503/1187/2025",
        place="ID-YO",
        scope="Praktik psikolog klinis mandiri, Kota Yogyakarta",
    )
