"""Publish version 4 of the consent in both languages (consent.default_text.VERSION_4): video and voice sessions,
never recorded, and their risks. The newest published version of each language is carried over with a paragraph
added to three sections. Published as version 3 was (0004); clients who accepted an earlier version are asked to
accept version 4 before their next session, by the existing rule (consent_gate)."""

from django.db import migrations
from django.db.models import Max
from django.utils import timezone


def publish_version_4(apps, schema_editor):
    from consent.default_text import VERSION_4

    ConsentVersion = apps.get_model("consent", "ConsentVersion")
    ConsentSection = apps.get_model("consent", "ConsentSection")
    at = timezone.now()
    for language, change in VERSION_4.items():
        newest = ConsentVersion.objects.filter(language=language, status="published").order_by("-number").first()
        if newest is None or ConsentVersion.objects.filter(language=language,
                                                           change_summary=change["change_summary"]).exists():
            continue
        number = ConsentVersion.objects.filter(language=language).aggregate(top=Max("number"))["top"] + 1
        version = ConsentVersion.objects.create(
            language=language, number=number, status="published", effective_at=at, created_at=at, published_at=at,
            change_summary=change["change_summary"])
        for section in ConsentSection.objects.filter(version=newest).order_by("position"):
            body = section.body
            if section.key in change["appended"]:
                body = body.rstrip() + "\n" + change["appended"][section.key]
            ConsentSection.objects.create(version=version, key=section.key, position=section.position,
                                          title=section.title, body=body)


class Migration(migrations.Migration):
    dependencies = [("consent", "0004_publish_consent_version_3")]

    operations = [migrations.RunPython(publish_version_4, migrations.RunPython.noop)]
