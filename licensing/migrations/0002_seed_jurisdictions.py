"""Seed data: jurisdictions (ISO 3166-1 / 3166-2), issuing bodies and the US Counseling Compact.

Indonesia is the first market: the country and its 38 provinces. The United States: the country,
the 50 states and DC. Compact membership changes as legislatures act; admins keep it current in
the admin site (check https://counselingcompact.gov/ before relying on it). Texas is not a member
(bills filed in 2023 and 2025 did not pass), which the demo data reflects.
"""

from django.db import migrations

INDONESIA = [
    ("ID-AC", "Aceh"), ("ID-SU", "Sumatera Utara"), ("ID-SB", "Sumatera Barat"), ("ID-RI", "Riau"),
    ("ID-KR", "Kepulauan Riau"), ("ID-JA", "Jambi"), ("ID-SS", "Sumatera Selatan"),
    ("ID-BB", "Kepulauan Bangka Belitung"), ("ID-BE", "Bengkulu"), ("ID-LA", "Lampung"),
    ("ID-JK", "DKI Jakarta"), ("ID-BT", "Banten"), ("ID-JB", "Jawa Barat"), ("ID-JT", "Jawa Tengah"),
    ("ID-YO", "DI Yogyakarta"), ("ID-JI", "Jawa Timur"), ("ID-BA", "Bali"), ("ID-NB", "Nusa Tenggara Barat"),
    ("ID-NT", "Nusa Tenggara Timur"), ("ID-KB", "Kalimantan Barat"), ("ID-KT", "Kalimantan Tengah"),
    ("ID-KS", "Kalimantan Selatan"), ("ID-KI", "Kalimantan Timur"), ("ID-KU", "Kalimantan Utara"),
    ("ID-SA", "Sulawesi Utara"), ("ID-GO", "Gorontalo"), ("ID-ST", "Sulawesi Tengah"),
    ("ID-SR", "Sulawesi Barat"), ("ID-SN", "Sulawesi Selatan"), ("ID-SG", "Sulawesi Tenggara"),
    ("ID-MA", "Maluku"), ("ID-MU", "Maluku Utara"), ("ID-PA", "Papua"), ("ID-PB", "Papua Barat"),
    ("ID-PD", "Papua Barat Daya"), ("ID-PE", "Papua Pegunungan"), ("ID-PS", "Papua Selatan"),
    ("ID-PT", "Papua Tengah"),
]

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

# States that had enacted the Counseling Compact by 2024 (a conservative subset; keep it current).
COMPACT_MEMBERS = ["AL", "AR", "CO", "CT", "DE", "FL", "GA", "IN", "IA", "KS", "KY", "LA", "ME", "MD", "MS",
                   "MO", "MT", "NE", "NH", "NC", "ND", "OH", "OK", "SC", "SD", "TN", "UT", "VT", "VA", "WA",
                   "WV", "WI", "WY"]

ISSUING_BODIES = [
    ("Himpunan Psikologi Indonesia (HIMPSI)", "https://himpsi.or.id/", "ID", ""),
    ("Konsil Kesehatan Indonesia (KKI)", "https://kki.go.id/", "ID", ""),
    ("Asosiasi Bimbingan dan Konseling Indonesia (ABKIN)", "https://abkin.org/", "ID", ""),
    ("DPMPTSP Kota Yogyakarta (izin layanan psikologi)", "https://perizinan.jogjakota.go.id/", "ID", "ID-YO"),
    ("DPMPTSP Provinsi DKI Jakarta (izin layanan psikologi)", "https://pelayanan.jakarta.go.id/", "ID", "ID-JK"),
    ("Texas Behavioral Health Executive Council (LPC board)", "https://bhec.texas.gov/verify-a-license/",
     "US", "US-TX"),
    ("Colorado DORA, State Board of LPC Examiners",
     "https://apps2.colorado.gov/dora/licensing/Lookup/LicenseLookup.aspx", "US", "US-CO"),
]


def seed(apps, schema_editor):
    Jurisdiction = apps.get_model("licensing", "Jurisdiction")
    IssuingBody = apps.get_model("licensing", "IssuingBody")
    PracticeAgreement = apps.get_model("licensing", "PracticeAgreement")
    Jurisdiction.objects.get_or_create(country="ID", region="", defaults={"name": "Indonesia"})
    for code, name in INDONESIA:
        Jurisdiction.objects.get_or_create(country="ID", region=code, defaults={"name": name})
    Jurisdiction.objects.get_or_create(country="US", region="", defaults={"name": "United States"})
    for code, name in UNITED_STATES:
        Jurisdiction.objects.get_or_create(country="US", region=f"US-{code}", defaults={"name": name})
    for name, url, country, region in ISSUING_BODIES:
        IssuingBody.objects.get_or_create(
            name=name, defaults={"registry_url": url,
                                 "jurisdiction": Jurisdiction.objects.get(country=country, region=region)})
    compact, _ = PracticeAgreement.objects.get_or_create(
        name="Counseling Compact (US)",
        defaults={"url": "https://counselingcompact.gov/", "licence_kinds": "us_lpc"})
    compact.members.add(*Jurisdiction.objects.filter(country="US",
                                                     region__in=[f"US-{c}" for c in COMPACT_MEMBERS]))


class Migration(migrations.Migration):

    dependencies = [("licensing", "0001_licences")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
