"""The core app gives up the models that moved to identity, crisis and records (their 0001 migrations).

The tables are untouched. Content types follow their models, so admin permissions and log entries stay
attached; audit entries keep the target_type they were written with (the chain hashes what was written)."""

from django.db import migrations

MOVED = {
    "identity": ["intake", "identitydocument", "codeword", "codewordcheck", "emergencyresource"],
    "crisis": ["riskphrase", "oncallshift", "escalation", "escalationevent", "escalationalert"],
    "records": ["retentionrule", "legalhold", "retentiontombstone", "erasurerequest"],
}


def _relabel(apps, *, old: str | None, new: str | None) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    for app_label, models in MOVED.items():
        for model in models:
            source, target = (old or app_label), (new or app_label)
            if ContentType.objects.filter(app_label=target, model=model).exists():
                continue
            ContentType.objects.filter(app_label=source, model=model).update(app_label=target)


def content_types_follow(apps, schema_editor):
    _relabel(apps, old="counseling", new=None)


def content_types_return(apps, schema_editor):
    _relabel(apps, old=None, new="counseling")


class Migration(migrations.Migration):

    dependencies = [
        ('identity', '0001_moved_from_core'),
        ('crisis', '0001_moved_from_core'),
        ('records', '0001_moved_from_core'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('counseling', '0006_escalation_repeat_alerts'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='codeword',
                    name='client',
                ),
                migrations.RemoveField(
                    model_name='codewordcheck',
                    name='client',
                ),
                migrations.RemoveField(
                    model_name='codewordcheck',
                    name='session',
                ),
                migrations.RemoveField(
                    model_name='emergencyresource',
                    name='checked_by',
                ),
                migrations.RemoveField(
                    model_name='erasurerequest',
                    name='answered_by',
                ),
                migrations.RemoveField(
                    model_name='erasurerequest',
                    name='client',
                ),
                migrations.RemoveField(
                    model_name='escalation',
                    name='client',
                ),
                migrations.RemoveField(
                    model_name='escalation',
                    name='counselor',
                ),
                migrations.RemoveField(
                    model_name='escalation',
                    name='message',
                ),
                migrations.RemoveField(
                    model_name='escalation',
                    name='session',
                ),
                migrations.RemoveField(
                    model_name='escalationevent',
                    name='escalation',
                ),
                migrations.RemoveField(
                    model_name='escalationalert',
                    name='escalation',
                ),
                migrations.RemoveField(
                    model_name='escalationalert',
                    name='recipient',
                ),
                migrations.RemoveField(
                    model_name='escalationevent',
                    name='actor',
                ),
                migrations.RemoveField(
                    model_name='identitydocument',
                    name='client',
                ),
                migrations.RemoveField(
                    model_name='identitydocument',
                    name='reviewed_by',
                ),
                migrations.RemoveField(
                    model_name='intake',
                    name='client',
                ),
                migrations.RemoveField(
                    model_name='legalhold',
                    name='client',
                ),
                migrations.RemoveField(
                    model_name='legalhold',
                    name='placed_by',
                ),
                migrations.RemoveField(
                    model_name='oncallshift',
                    name='user',
                ),
                migrations.DeleteModel(
                    name='RetentionRule',
                ),
                migrations.DeleteModel(
                    name='RetentionTombstone',
                ),
                migrations.DeleteModel(
                    name='RiskPhrase',
                ),
                migrations.DeleteModel(
                    name='CodeWord',
                ),
                migrations.DeleteModel(
                    name='CodeWordCheck',
                ),
                migrations.DeleteModel(
                    name='EmergencyResource',
                ),
                migrations.DeleteModel(
                    name='ErasureRequest',
                ),
                migrations.DeleteModel(
                    name='Escalation',
                ),
                migrations.DeleteModel(
                    name='EscalationAlert',
                ),
                migrations.DeleteModel(
                    name='EscalationEvent',
                ),
                migrations.DeleteModel(
                    name='IdentityDocument',
                ),
                migrations.DeleteModel(
                    name='Intake',
                ),
                migrations.DeleteModel(
                    name='LegalHold',
                ),
                migrations.DeleteModel(
                    name='OnCallShift',
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_follow, content_types_return),
    ]
