"""Emergency numbers carry their source, the date they were checked, and how they are reached.

Indonesia's seed is corrected (a native speaker's review; sources checked 2026-12-06):
- 112 answers in about 172 of 514 regencies and cities plus DKI Jakarta (Kemendagri and Komdigi,
  September 2025), so it is not presented as nationwide: 110, 119 and 113 stand beside it;
- the Ministry of Health's mental-health line at 119, then 8, is Healing119 since 31 July 2025 (no
  longer SEJIWA); it is listed after the general numbers, never first or alone;
- Jakarta's JakCare line is added as a regional line, unpublished until an admin confirms it.
"""

import datetime

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils.translation import gettext_noop

CHECKED = datetime.date(2026, 12, 6)
NOT_EVERYWHERE = gettext_noop(
    "Police, ambulance and fire in one call; not yet available everywhere in Indonesia: "
    "if it does not connect, call 110, 119 or 113")

# (country, region, old seed name or None, name, number, extension, channel, description, order, source, checked)
NUMBERS = [
    ("ID", "", "Layanan Darurat 112", "Layanan Darurat 112", "112", "", "call", NOT_EVERYWHERE, 10,
     "https://www.tvonenews.com/berita/nasional/392493-kemendagri-dorong-implementasi-layanan-nomor-tunggal-darurat-112-di-pusat-dan-daerah",
     CHECKED),
    ("ID", "", "Polisi", "Polisi", "110", "", "call", gettext_noop("Police"), 20, "", CHECKED),
    ("ID", "", "Ambulans / PSC 119", "Ambulans / PSC 119", "119", "", "call",
     gettext_noop("Medical emergency and ambulance"), 30, "", CHECKED),
    ("ID", "", "Pemadam Kebakaran", "Pemadam Kebakaran", "113", "", "call", gettext_noop("Fire brigade"), 40, "",
     CHECKED),
    ("ID", "", "SEJIWA (Sehat Jiwa)", "Healing119 (Kementerian Kesehatan)", "119", "8", "call",
     gettext_noop("Mental-health and suicide-prevention line of the Ministry of Health; also by WhatsApp "
                  "and at healing119.id. It can be slow to answer: in danger, call 112 or 110 first"), 50,
     "https://kesprimkom.kemkes.go.id/konten/158/151/0/cegah-bunuh-diri-dukung-kesehatan-jiwa-kenali-layanan-healing119-id",
     CHECKED),
    ("ID", "", "SAPA 129", "SAPA 129", "129", "", "call",
     gettext_noop("Violence against women and children (KemenPPPA)"), 60, "", CHECKED),
    ("ID", "ID-JK", None, "JakCare (Dinas Kesehatan DKI Jakarta)", "08001500119", "", "call",
     gettext_noop("Mental-health line of the Jakarta health office, 24 hours"), 10,
     "https://www.antaranews.com/berita/4897841/warga-jakarta-bisa-mengakses-layanan-kesehatan-mental-24-jam-sehari",
     None),
    ("US", "", "Emergency services", "Emergency services", "911", "", "call",
     gettext_noop("Police, ambulance, fire"), 10, "https://www.911.gov/", CHECKED),
    ("US", "", "988 Suicide & Crisis Lifeline", "988 Suicide & Crisis Lifeline", "988", "", "call",
     gettext_noop("Call or text, any mental health crisis"), 20, "https://988lifeline.org/", CHECKED),
    ("US", "", "Crisis Text Line", "Crisis Text Line", "741741", "", "text",
     gettext_noop("Text HOME to this number"), 30, "https://www.crisistextline.org/", CHECKED),
]


def correct_seed(apps, schema_editor):
    EmergencyResource = apps.get_model("counseling", "EmergencyResource")
    for country, region, old_name, name, number, extension, channel, description, order, source, checked in NUMBERS:
        # By its old seed name, or its new one when this runs again on a corrected table (browser tests re-seed).
        row = EmergencyResource.objects.filter(country=country, region=region, name__in={old_name or name, name}).first()
        if row is None:
            row = EmergencyResource(country=country, region=region, name=name)
        elif row.number != number or row.extension != extension:
            continue  # an admin changed it: theirs stands
        row.name, row.number, row.extension, row.channel = name, number, extension, channel
        row.description, row.sort_order, row.source_url, row.checked_on = description, order, source, checked
        row.save()
    # Rows an admin added before sources were recorded stay on the pages, listed as unchecked.
    EmergencyResource.objects.filter(checked_on__isnull=True, is_active=True).exclude(
        country="ID", region="ID-JK", number="08001500119").update(checked_on=CHECKED)


class Migration(migrations.Migration):
    dependencies = [
        ("counseling", "0004_risk_phrase_forms"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="emergencyresource",
            name="channel",
            field=models.CharField(choices=[("call", "phone call"), ("text", "text message")], default="call",
                                   max_length=8, verbose_name="how to reach it"),
        ),
        migrations.AddField(
            model_name="emergencyresource",
            name="checked_by",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                    related_name="+", to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name="emergencyresource",
            name="checked_on",
            field=models.DateField(blank=True, null=True, verbose_name="checked against the source on"),
        ),
        migrations.AddField(
            model_name="emergencyresource",
            name="source_url",
            field=models.URLField(blank=True, max_length=300, verbose_name="official source"),
        ),
        migrations.AlterField(
            model_name="emergencyresource",
            name="extension",
            field=models.CharField(blank=True, max_length=32, verbose_name="menu digit to press after the call connects"),
        ),
        migrations.RunPython(correct_seed, migrations.RunPython.noop),
    ]
