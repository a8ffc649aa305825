from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("counseling_sessions", "0005_message_awaiting_reply_column")]

    operations = [
        migrations.AddField(
            model_name="counselingsession",
            name="location_landmark_sealed",
            field=models.BinaryField(blank=True, null=True),
        ),
    ]
