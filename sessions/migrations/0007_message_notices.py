from django.db import migrations, models

# Two nullable columns without a default: PostgreSQL adds them without rewriting the messages table. The
# partial index holds only messages already e-mailed about, none yet. Messages waiting for a reply when this
# runs count in each counselor's first e-mail.


class Migration(migrations.Migration):
    dependencies = [("counseling_sessions", "0006_location_landmark")]

    operations = [
        migrations.AddField(
            model_name="message",
            name="counselor_emailed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="message",
            name="reply_reminded_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="message",
            index=models.Index(
                condition=models.Q(("counselor_emailed_at__isnull", False)),
                fields=["counselor_emailed_at"],
                name="message_counselor_emailed",
            ),
        ),
    ]
