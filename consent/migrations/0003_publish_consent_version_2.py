"""Publish version 2 of the consent in both languages (consent.default_text.VERSION_2).

Each language's newest published version is copied and the corrected sections replace its own.
Clients who accepted version 1 are asked to accept version 2 before their next session, by the
existing rule (consent_gate allows only the version in force).
"""

from django.db import migrations
from django.db.models import Max
from django.utils import timezone


def publish_version_2(apps, schema_editor):
    from consent.default_text import VERSION_2

    ConsentVersion = apps.get_model("consent", "ConsentVersion")
    ConsentSection = apps.get_model("consent", "ConsentSection")
    at = timezone.now()
    for language, change in VERSION_2.items():
        newest = ConsentVersion.objects.filter(language=language, status="published").order_by("-number").first()
        if newest is None or ConsentVersion.objects.filter(language=language,
                                                           change_summary=change["change_summary"]).exists():
            continue
        number = ConsentVersion.objects.filter(language=language).aggregate(top=Max("number"))["top"] + 1
        version = ConsentVersion.objects.create(
            language=language, number=number, status="published", effective_at=at, created_at=at, published_at=at,
            change_summary=change["change_summary"])
        for section in ConsentSection.objects.filter(version=newest).order_by("position"):
            title, body = change["sections"].get(section.key, (section.title, section.body))
            ConsentSection.objects.create(version=version, key=section.key, position=section.position, title=title,
                                          body=body)


class Migration(migrations.Migration):
    dependencies = [("consent", "0002_publish_default_consent")]

    operations = [migrations.RunPython(publish_version_2, migrations.RunPython.noop)]
