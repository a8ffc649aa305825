"""Publish version 1 of the consent in English and Bahasa Indonesia, so every install has one in force."""

from django.db import migrations
from django.utils import timezone


def publish_defaults(apps, schema_editor):
    from consent.default_text import DEFAULT_CONSENT

    ConsentVersion = apps.get_model("consent", "ConsentVersion")
    ConsentSection = apps.get_model("consent", "ConsentSection")
    at = timezone.now()
    for language, document in DEFAULT_CONSENT.items():
        if ConsentVersion.objects.filter(language=language).exists():
            continue
        version = ConsentVersion.objects.create(
            language=language, number=1, status="published", effective_at=at, created_at=at, published_at=at,
            change_summary=document["change_summary"])
        for position, (key, (title, body)) in enumerate(document["sections"].items()):
            ConsentSection.objects.create(version=version, key=key, position=position, title=title, body=body)


class Migration(migrations.Migration):
    dependencies = [("consent", "0001_consent_versions")]

    operations = [migrations.RunPython(publish_defaults, migrations.RunPython.noop)]
