"""Publish version 3 of the consent in both languages (consent.default_text.VERSION_3): the retention section
states within how many days a backup's copy of a destroyed key can no longer be read, from the settings
(counseling.crypto.backup_shred_days). Published as version 2 was (0003); clients who accepted version 2 are
asked to accept version 3 before their next session, by the existing rule (consent_gate)."""

from django.db import migrations
from django.db.models import Max
from django.utils import timezone


def publish_version_3(apps, schema_editor):
    from consent.default_text import VERSION_3
    from counseling.crypto import backup_shred_days

    ConsentVersion = apps.get_model("consent", "ConsentVersion")
    ConsentSection = apps.get_model("consent", "ConsentSection")
    at = timezone.now()
    days = backup_shred_days()
    for language, change in VERSION_3.items():
        newest = ConsentVersion.objects.filter(language=language, status="published").order_by("-number").first()
        if newest is None or ConsentVersion.objects.filter(language=language,
                                                           change_summary=change["change_summary"]).exists():
            continue
        number = ConsentVersion.objects.filter(language=language).aggregate(top=Max("number"))["top"] + 1
        version = ConsentVersion.objects.create(
            language=language, number=number, status="published", effective_at=at, created_at=at, published_at=at,
            change_summary=change["change_summary"])
        for section in ConsentSection.objects.filter(version=newest).order_by("position"):
            if section.key in change["sections"]:
                title, body = change["sections"][section.key]
                body = body.format(days=days)
            else:
                title, body = section.title, section.body
            ConsentSection.objects.create(version=version, key=section.key, position=section.position, title=title,
                                          body=body)


class Migration(migrations.Migration):
    dependencies = [("consent", "0003_publish_consent_version_2")]

    operations = [migrations.RunPython(publish_version_3, migrations.RunPython.noop)]
