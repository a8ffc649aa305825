"""The models of identity (the intake, ID documents, the code word and its checks, the emergency numbers) move here from the core app. Their tables stay where they are
(Meta.db_table keeps each name): only Django's idea of which app owns them changes, so no row is copied."""

import counseling.clock
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('counseling', '0006_escalation_repeat_alerts'),
        ('counseling_sessions', '0005_message_awaiting_reply_column'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='CodeWord',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('hashed', models.CharField(max_length=256)),
                        ('set_at', models.DateTimeField(default=counseling.clock.now)),
                        ('client', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='code_word', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'counseling_codeword',
                    },
                ),
                migrations.CreateModel(
                    name='EmergencyResource',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('country', models.CharField(db_index=True, max_length=2, verbose_name='country (ISO 3166-1 alpha-2)')),
                        ('region', models.CharField(blank=True, max_length=6, verbose_name='region (ISO 3166-2, blank for the whole country)')),
                        ('name', models.CharField(max_length=120, verbose_name='name')),
                        ('number', models.CharField(max_length=32, verbose_name='number')),
                        ('extension', models.CharField(blank=True, max_length=32, verbose_name='menu digit to press after the call connects')),
                        ('channel', models.CharField(choices=[('call', 'phone call'), ('text', 'text message')], default='call', max_length=8, verbose_name='how to reach it')),
                        ('description', models.CharField(blank=True, max_length=240, verbose_name='what it is for')),
                        ('hours', models.CharField(blank=True, default='24/7', max_length=60, verbose_name='hours')),
                        ('sort_order', models.PositiveSmallIntegerField(default=100, verbose_name='order')),
                        ('is_active', models.BooleanField(default=True, verbose_name='active')),
                        ('source_url', models.URLField(blank=True, max_length=300, verbose_name='official source')),
                        ('checked_on', models.DateField(blank=True, null=True, verbose_name='checked against the source on')),
                        ('checked_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'counseling_emergencyresource',
                        'ordering': ['country', 'region', 'sort_order', 'name'],
                    },
                ),
                migrations.CreateModel(
                    name='IdentityDocument',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('ref', models.UUIDField(unique=True)),
                        ('content_type', models.CharField(max_length=32)),
                        ('size_bytes', models.PositiveIntegerField()),
                        ('content_sealed', models.BinaryField(blank=True, null=True)),
                        ('status', models.CharField(choices=[('pending', 'Waiting for review'), ('verified', 'Verified'), ('rejected', 'Rejected')], db_index=True, default='pending', max_length=16)),
                        ('uploaded_at', models.DateTimeField(default=counseling.clock.now)),
                        ('reviewed_at', models.DateTimeField(blank=True, null=True)),
                        ('rejection_reason', models.CharField(blank=True, max_length=300, verbose_name='reason')),
                        ('destroyed_at', models.DateTimeField(blank=True, db_index=True, null=True)),
                        ('client', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='identity_documents', to=settings.AUTH_USER_MODEL)),
                        ('reviewed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'counseling_identitydocument',
                        'ordering': ['uploaded_at'],
                    },
                ),
                migrations.CreateModel(
                    name='Intake',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('answers_sealed', models.BinaryField()),
                        ('emergency_contact_authorised', models.BooleanField(default=False)),
                        ('has_connection_plan', models.BooleanField(default=False)),
                        ('is_minor', models.BooleanField(default=False)),
                        ('guardian_consent_recorded', models.BooleanField(default=False)),
                        ('suitability_passed', models.BooleanField(default=False)),
                        ('completed_at', models.DateTimeField(default=counseling.clock.now)),
                        ('updated_at', models.DateTimeField(default=counseling.clock.now)),
                        ('client', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='intake', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'counseling_intake',
                    },
                ),
                migrations.CreateModel(
                    name='CodeWordCheck',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('checked_at', models.DateTimeField(default=counseling.clock.now)),
                        ('matched', models.BooleanField()),
                        ('client', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('session', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='code_word_checks', to='counseling_sessions.counselingsession')),
                    ],
                    options={
                        'db_table': 'counseling_codewordcheck',
                        'ordering': ['checked_at', 'id'],
                        'indexes': [models.Index(fields=['client', 'checked_at'], name='counseling__client__ce719c_idx')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
