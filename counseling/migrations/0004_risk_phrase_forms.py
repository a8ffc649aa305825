"""Seed the risk phrases added after a native speaker's review: cutting with a blade and "mati saja".

The matcher also meets affixed and colloquial forms ("menyayat", "nyilet", "sayat-sayat"), so each
phrase is stored once in its plain form; admins edit them in the RiskPhrase table like the others.
"""

from django.db import migrations

# Copied, not imported: a migration must not change with the code.
RISK_PHRASES = {
    "id": ["silet tangan", "nyilet", "mati saja"],
}


def seed_phrases(apps, schema_editor):
    RiskPhrase = apps.get_model("counseling", "RiskPhrase")
    for language, phrases in RISK_PHRASES.items():
        for phrase in phrases:
            RiskPhrase.objects.get_or_create(language=language, phrase=phrase, defaults={"severity": 3})


class Migration(migrations.Migration):

    dependencies = [
        ('counseling', '0003_escalation_retention'),
    ]

    operations = [
        migrations.RunPython(seed_phrases, migrations.RunPython.noop),
    ]
