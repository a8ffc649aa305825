"""A counselor's written reason to go on with a session whose code word had not matched (sealed)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import counseling.clock


class Migration(migrations.Migration):
    dependencies = [
        ("counseling_sessions", "0005_message_awaiting_reply_column"),
        ("identity", "0001_moved_from_core"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CodeWordOverride",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("ref", models.UUIDField(unique=True)),
                ("reason_sealed", models.BinaryField()),
                ("created_at", models.DateTimeField(default=counseling.clock.now)),
                (
                    "client",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "overridden_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "session",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="code_word_overrides",
                        to="counseling_sessions.counselingsession",
                    ),
                ),
            ],
            options={
                "ordering": ["created_at", "id"],
            },
        ),
    ]
