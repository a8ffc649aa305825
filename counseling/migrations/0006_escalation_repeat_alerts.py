"""A second press of the help button alerts the current rung again.

An escalation counts the presses after the first and holds the claim of the repeat-alert window; an
alert row carries the round it belongs to (0: the rung's own alert), so each round is one row per
person, enforced by the unique constraint.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("counseling", "0005_emergency_resource_sources"),
    ]

    operations = [
        migrations.AddField(
            model_name="escalation",
            name="presses_again",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="escalation",
            name="repeat_alerts",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="escalation",
            name="repeat_alerted_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="escalationalert",
            name="press",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RemoveConstraint(
            model_name="escalationalert",
            name="escalation_alert_once_per_rung",
        ),
        migrations.AddConstraint(
            model_name="escalationalert",
            constraint=models.UniqueConstraint(fields=("escalation", "rung", "recipient", "press"),
                                               name="escalation_alert_once_per_rung_and_press"),
        ),
    ]
