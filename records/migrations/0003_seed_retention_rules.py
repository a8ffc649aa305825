"""Seed the retention rules: Indonesia, and each US state the licensing seed knows (50 states and DC).

Of all rules that apply to a client (their places and the places of their counselors' licences), the
longest wins (records.services). The APA default (7 years after last contact; a minor, majority + 3 years)
seeded in counseling 0003 still applies everywhere, as the consent promises ("at least 7 years").

Sources read on 2026-12-07 through stored copies of public pages, NOT an official gazette or a lawyer's
opinion. A person who reads the law must re-check each rule; admins keep the rows current in the admin
site (each row shows its source). What was found, and what must be re-checked:

Indonesia
- Permenkes 24/2022 tentang Rekam Medis, Pasal 39(1): electronic medical records are kept at a health
  facility (fasilitas pelayanan kesehatan) at least 25 years after the patient's last visit; Pasal 39(2):
  afterwards they may be destroyed unless still needed (text read at arissusanto.com/peraturan-rme-2022/13,
  a copy of the signed regulation; jdih.kemkes.go.id is the official source). The regulation binds every
  fasyankes, including the independent practice of health workers; clinical psychologists (psikolog
  klinis) are health workers under UU 17/2023 tentang Kesehatan.
  RE-CHECK: whether this platform, or its counselors who are not health workers (konselor, psikolog
  who are not psikolog klinis), fall under it. If not, no Indonesian statute found sets a period, the
  7-year APA default applies alone, and this row should be deactivated, not lengthened.
- UU 27/2022 tentang Pelindungan Data Pribadi, Pasal 42-44: the controller must end processing, erase
  and destroy personal data when its retention period ends (the engine's crypto-shredding does that).
  It sets no period of its own: keep only as long as a law or the purpose requires. Health data is
  specific (sensitive) personal data (Pasal 4). A 25-year period is justified only if Permenkes 24/2022
  applies; that is the lawyer's question above.
- HIMPSI, Kode Etik Psikologi Indonesia (2010), Pasal 23 (rekam psikologi): psychologists keep and
  destroy records "with regard to the applicable law"; the code sets no period of its own (read in copies
  at id.scribd.com; the 2010 code, later HIMPSI revisions not checked).
- The older Permenkes 269/2008 (5 years at hospitals, 2 elsewhere) was revoked by Permenkes 24/2022.

United States (licensed professional counselors; rules for other professions differ)
- Texas: 22 TAC §681.36(b), adopted 2023-09-21 (48 TexReg 5140): 7 years from termination of services,
  or 5 years after the client reaches the age of majority, whichever is greater (texreg.sos.state.tx.us).
- Colorado: 4 CCR 737-1.16(A) (C.R.S. 12-245-204(4), 12-245-224(1)(u)): 7 years from termination or last
  contact, whichever is later; a child's record 7 years from the last treatment or from age 18, whichever
  is later, "but in no event ... more than twelve years" (law.cornell.edu). The 12-year cap is a MAXIMUM
  the engine does not model (it keeps the longest duty): re-check for minors in Colorado.
- California: Bus. & Prof. Code §4999.75 (LPCC): 7 years from termination; a minor's records 7 years from
  age 18 (leginfo.legislature.ca.gov, article 4 of chapter 16; the minor clause read in a practitioner's
  summary and in the parallel §4989.51): re-check the minor clause in §4999.75 itself.
- New York: 8 NYCRR §29.2(a)(3) (Regents rules on unprofessional conduct, all licensed professions): at
  least 6 years; a minor's at least 6 years and until one year after age 21 (op.nysed.gov).
- Florida: Fla. Admin. Code R. 64B4-9.001 (mental health counselors): a full record kept 7 years after the
  last contact. Read only in a secondary summary quoting the rule: re-check at flrules.org.
- Arizona: A.R.S. §12-2297: 6 years after the last service; a minor's 3 years after age 18 or 6 years
  after the last service, whichever is later. Read only in a practitioner's summary: re-check.
- Kansas: the counselor rule (K.A.R. 102-3, recordkeeping) was not found; the board's parallel rule for
  marriage and family therapists (K.A.R. 102-5-16(c)) keeps 6 years after termination. Seeded as the
  default below: re-check.
- Every other state: no state rule verified. Seeded as the APA default (APA Record Keeping Guidelines,
  2007, guideline 7: 7 years after the last service, or 3 years after a minor's majority if later; the
  ACA Code of Ethics 2014, B.6.h, defers to state law), marked as such, to be re-checked state by state.
"""

from django.db import migrations, models

CHECKED_ON = "2026-12-07"

ID_RULE = (
    "Indonesia: Permenkes 24/2022, 25 years after the last visit",
    "ID",
    "",
    25,
    18,
    0,
    "Permenkes 24/2022 tentang Rekam Medis, Pasal 39(1): kept at least 25 years after the patient's last visit "
    "(binds health facilities incl. independent practice of health workers; psikolog klinis are health workers, "
    "UU 17/2023). UU 27/2022 (PDP) Pasal 42-44: end, erase and destroy when the retention period ends. "
    "HIMPSI Kode Etik 2010 Pasal 23: keep and destroy per the law. RE-CHECK whether Permenkes 24/2022 binds "
    f"this platform (read {CHECKED_ON}, not by a lawyer).",
)

# (code, name, years after last contact, age of majority, years after majority, source); None: not verified.
US_STATE_RULES = {
    "TX": (7, 18, 5, "22 TAC §681.36(b) (LPC rules, 2023): 7 years from termination, or 5 years after the age of "
                     "majority if greater."),
    "CO": (7, 18, 7, "4 CCR 737-1.16(A): 7 years from termination or last contact; a child: 7 years from age 18 if "
                     "later, never more than 12 years (cap not modelled: RE-CHECK for minors)."),
    "CA": (7, 18, 7, "Cal. Bus. & Prof. Code §4999.75 (LPCC): 7 years from termination; a minor: 7 years from age "
                     "18 (RE-CHECK the minor clause)."),
    "NY": (6, 21, 1, "8 NYCRR §29.2(a)(3): at least 6 years; a minor: 6 years and until one year after age 21."),
    "FL": (7, 18, 0, "Fla. Admin. Code R. 64B4-9.001: 7 years after the last contact (read in a secondary summary: "
                     "RE-CHECK at flrules.org)."),
    "AZ": (6, 18, 3, "A.R.S. §12-2297: 6 years after the last service; a minor: 3 years after age 18 if later (read "
                     "in a secondary summary: RE-CHECK)."),
}

DEFAULT_SOURCE = (
    "No state rule verified: APA default. APA Record Keeping Guidelines (2007), guideline 7: 7 years after the "
    "last service, or majority + 3 years for a minor if later; ACA Code of Ethics (2014) B.6.h defers to state "
    "law. RE-CHECK the state board's rules."
)

# Copied from licensing 0002 (a migration must not change with the code).
UNITED_STATES = [
    ("AL", "Alabama"), ("AK", "Alaska"), ("AZ", "Arizona"), ("AR", "Arkansas"), ("CA", "California"),
    ("CO", "Colorado"), ("CT", "Connecticut"), ("DE", "Delaware"), ("DC", "District of Columbia"),
    ("FL", "Florida"), ("GA", "Georgia"), ("HI", "Hawaii"), ("ID", "Idaho"), ("IL", "Illinois"),
    ("IN", "Indiana"), ("IA", "Iowa"), ("KS", "Kansas"), ("KY", "Kentucky"), ("LA", "Louisiana"),
    ("ME", "Maine"), ("MD", "Maryland"), ("MA", "Massachusetts"), ("MI", "Michigan"), ("MN", "Minnesota"),
    ("MS", "Mississippi"), ("MO", "Missouri"), ("MT", "Montana"), ("NE", "Nebraska"), ("NV", "Nevada"),
    ("NH", "New Hampshire"), ("NJ", "New Jersey"), ("NM", "New Mexico"), ("NY", "New York"),
    ("NC", "North Carolina"), ("ND", "North Dakota"), ("OH", "Ohio"), ("OK", "Oklahoma"), ("OR", "Oregon"),
    ("PA", "Pennsylvania"), ("RI", "Rhode Island"), ("SC", "South Carolina"), ("SD", "South Dakota"),
    ("TN", "Tennessee"), ("TX", "Texas"), ("UT", "Utah"), ("VT", "Vermont"), ("VA", "Virginia"),
    ("WA", "Washington"), ("WV", "West Virginia"), ("WI", "Wisconsin"), ("WY", "Wyoming"),
]


def rules():
    yield ID_RULE
    for code, state in UNITED_STATES:
        if code in US_STATE_RULES:
            years, majority, after, source = US_STATE_RULES[code]
            name = f"{state}: {years} years after last contact (state rule)"
        else:
            years, majority, after, source = 7, 18, 3, DEFAULT_SOURCE
            name = f"{state}: APA default, 7 years (state rule not verified)"
        yield name, "US", f"US-{code}", years, majority, after, f"{source} Read {CHECKED_ON}."


def seed(apps, schema_editor):
    RetentionRule = apps.get_model("records", "RetentionRule")
    for name, country, region, years, majority, after, citation in rules():
        RetentionRule.objects.get_or_create(
            country=country,
            region=region,
            name=name,
            defaults={
                "years_after_last_contact": years,
                "age_of_majority": majority,
                "years_after_majority": after,
                "citation": citation,
            },
        )


def unseed(apps, schema_editor):
    RetentionRule = apps.get_model("records", "RetentionRule")
    for name, country, region, *_rest in rules():
        RetentionRule.objects.filter(country=country, region=region, name=name).delete()


class Migration(migrations.Migration):

    dependencies = [("records", "0002_legal_hold_release")]

    operations = [
        migrations.AlterField(
            model_name="retentionrule",
            name="citation",
            field=models.CharField(
                help_text="The law, regulation or guideline this rule follows, with the article, and what to "
                "re-check.",
                max_length=500,
                verbose_name="legal source",
            ),
        ),
        migrations.RunPython(seed, unseed),
    ]
