"""Seed the practice rules: which credentials each profession must hold to practise in each place.

Sources read on 2026-12-06 (through stored copies of public pages, not an official gazette; a person
who reads Indonesian law must re-check them, and admins keep the rows current in the admin site):

Indonesia, psychologists (psikolog), including clinical psychologists (psikolog klinis):
- UU 23/2022 tentang Pendidikan dan Layanan Psikologi: Pasal 1 angka 7 and 8 define the STR
  (registration) and the SILP (Surat Izin Layanan Psikologi, the permit to give psychology services);
  Pasal 15(1) gives each graduate of the professional programme an STR; Pasal 17(1): every psychologist
  who gives psychology services must hold an SILP (basishukum.com/uu/23/2022; citizenjournalism.id,
  2022-08-15). The implementing regulation for the SILP had not been issued by late 2024 (Ikatan
  Psikolog Klinis Indonesia, "Perbedaan SIPP, SIPPK dan SILP", ipkindonesia.or.id).
- UU 17/2023 tentang Kesehatan: clinical psychologists are health workers; Pasal 260 (every health
  worker who practises must hold an STR, issued by the council for the Minister, valid for life) and
  Pasal 263 (and a practice permit, SIP, issued by the regency or city where they practise); SE Menkes
  HK.02.01/MENKES/1911/2023 (STR and SIP both required after UU 17/2023); PP 28/2024 Pasal 677. For
  clinical psychologists that permit is the SIPPK of Permenkes 45/2017 (arts. 3 and 5).
- So: an STR and a practice permit, the SIPPK (clinical psychologists) or the SILP (psychologists under
  UU 23/2022). The HIMPSI "SIPP" has no basis in statute (IPK Indonesia, above) and is not accepted.
  The permit is tied to the psychologist's own place of practice, so one issued anywhere in Indonesia
  counts for a client anywhere in Indonesia.

United States, licensed professional counselors: the licence of the state where the client is, alone
(each state's licensing act; ACA 2014 H.1.b), or a Counseling Compact privilege to practise there.
"""

from datetime import date

from django.db import migrations

CHECKED_ON = date(2026, 12, 6)

ID_LEGAL_BASIS = (
    "UU 23/2022 tentang Pendidikan dan Layanan Psikologi, Pasal 1 angka 7-8, Pasal 15(1), Pasal 17(1) (STR, SILP). "
    "UU 17/2023 tentang Kesehatan, Pasal 260 and 263 (STR and SIP for health workers, incl. psikolog klinis); "
    "SE Menkes HK.02.01/MENKES/1911/2023; PP 28/2024 Pasal 677; Permenkes 45/2017 (SIPPK). "
    "Re-check: the SILP's implementing regulation was still awaited in 2024."
)
US_LEGAL_BASIS = (
    "The licensing act of the state where the client is (ACA Code of Ethics 2014, H.1.b); a Counseling Compact "
    "privilege to practise counts in member states (counselingcompact.gov). Re-check each state's board."
)

RULES = [
    (
        ("ID", ""),
        "Psychologist (psikolog, incl. psikolog klinis)",
        ID_LEGAL_BASIS,
        [
            ("Registration (STR)", "str", False),
            ("Practice permit (SIPPK or SILP)", "sippk,silp", True),
        ],
    ),
    (
        ("US", ""),
        "Licensed Professional Counselor",
        US_LEGAL_BASIS,
        [("Licence of the client's state (LPC)", "us_lpc", False)],
    ),
]


def seed(apps, schema_editor):
    Jurisdiction = apps.get_model("licensing", "Jurisdiction")
    PracticeRule = apps.get_model("licensing", "PracticeRule")
    RequiredCredential = apps.get_model("licensing", "RequiredCredential")
    for (country, region), profession, legal_basis, credentials in RULES:
        jurisdiction = Jurisdiction.objects.filter(country=country, region=region).first()
        if jurisdiction is None:
            continue
        rule, created = PracticeRule.objects.get_or_create(
            jurisdiction=jurisdiction,
            profession=profession,
            defaults={"legal_basis": legal_basis, "checked_on": CHECKED_ON},
        )
        if not created:
            continue
        for position, (label, kinds, anywhere) in enumerate(credentials):
            RequiredCredential.objects.create(
                rule=rule, label=label, licence_kinds=kinds, anywhere_in_jurisdiction=anywhere, position=position
            )


class Migration(migrations.Migration):

    dependencies = [("licensing", "0004_practice_rules")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
