"""What consent registers with the apps below it (its section of the client's own copy of their data), and what it
forgets when a version or a section is written (consent.rendering keeps a published version's sections)."""

from django.db.models.signals import post_delete, post_save

from consent.models import ConsentSection, ConsentVersion
from consent.rendering import published_sections_forget
from consent.selectors import consent_client_export
from records.registry import RecordSource, record_source_register


def _version_written(sender, instance, **kwargs) -> None:
    published_sections_forget(version_id=instance.pk)


def _section_written(sender, instance, **kwargs) -> None:
    published_sections_forget(version_id=instance.version_id)


def connect() -> None:
    record_source_register(RecordSource(name="consent", export=consent_client_export))
    for signal in (post_save, post_delete):
        signal.connect(_version_written, sender=ConsentVersion, dispatch_uid="consent_version_sections_forget")
        signal.connect(_section_written, sender=ConsentSection, dispatch_uid="consent_section_sections_forget")
