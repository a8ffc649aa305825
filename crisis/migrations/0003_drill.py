"""Drills: a marked test alert up the ladder on the real roster. A drill has no client (the database
allows a missing client only for the kind "drill"), and may set its own minutes per rung."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crisis", "0002_identity_mismatch"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="escalation",
            name="kind",
            field=models.CharField(
                choices=[
                    ("help_button", "Help button pressed"),
                    ("risk_phrase", "Risk phrase in a message"),
                    ("reply_overdue", "Message left unanswered past the promised time"),
                    ("no_emergency_plan", "Location confirmed without an emergency plan"),
                    ("identity_mismatch", "Code word did not match at a session"),
                    ("drill", "Drill: no client is in danger"),
                ],
                max_length=24,
            ),
        ),
        migrations.AlterField(
            model_name="escalation",
            name="client",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="escalations",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="escalation",
            name="step_minutes",
            field=models.PositiveSmallIntegerField(blank=True, null=True),
        ),
        migrations.AddConstraint(
            model_name="escalation",
            constraint=models.CheckConstraint(
                condition=models.Q(("client__isnull", False), ("kind", "drill"), _connector="OR"),
                name="escalation_has_a_client_unless_drill",
            ),
        ),
    ]
