"""A new kind of escalation: the client's code word did not match at a session (choices only, no column change)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("crisis", "0001_moved_from_core")]

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
                ],
                max_length=24,
            ),
        ),
    ]
