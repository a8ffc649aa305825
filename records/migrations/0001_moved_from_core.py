"""The models of records (retention rules, legal holds, tombstones, erasure requests) move here from the core app. Their tables stay where they are
(Meta.db_table keeps each name): only Django's idea of which app owns them changes, so no row is copied."""

import counseling.clock
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('counseling', '0006_escalation_repeat_alerts'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='RetentionRule',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=120, verbose_name='name')),
                        ('country', models.CharField(blank=True, max_length=2, verbose_name='country (ISO 3166-1, empty: everywhere)')),
                        ('region', models.CharField(blank=True, max_length=6, verbose_name='region (ISO 3166-2, empty: whole country)')),
                        ('years_after_last_contact', models.PositiveSmallIntegerField(default=7, verbose_name='years after last contact')),
                        ('age_of_majority', models.PositiveSmallIntegerField(default=18, verbose_name='age of majority')),
                        ('years_after_majority', models.PositiveSmallIntegerField(default=3, verbose_name='years after a minor comes of age')),
                        ('citation', models.CharField(blank=True, max_length=200, verbose_name='legal source')),
                        ('is_active', models.BooleanField(default=True, verbose_name='active')),
                    ],
                    options={
                        'db_table': 'counseling_retentionrule',
                        'ordering': ['country', 'region', 'name'],
                    },
                ),
                migrations.CreateModel(
                    name='RetentionTombstone',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('subject_id', models.BigIntegerField(unique=True)),
                        ('destroyed_at', models.DateTimeField(default=counseling.clock.now)),
                        ('destroyed_by', models.CharField(max_length=254)),
                        ('rule', models.CharField(max_length=200)),
                        ('retention_ended_on', models.DateField(blank=True, null=True)),
                        ('last_contact_at', models.DateTimeField(blank=True, null=True)),
                        ('purged_at', models.DateTimeField(blank=True, help_text='When the last row was deleted', null=True)),
                    ],
                    options={
                        'db_table': 'counseling_retentiontombstone',
                        'ordering': ['-destroyed_at'],
                    },
                ),
                migrations.CreateModel(
                    name='ErasureRequest',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('subject_id', models.BigIntegerField(db_index=True)),
                        ('requested_at', models.DateTimeField(default=counseling.clock.now)),
                        ('decision', models.CharField(choices=[('pending', 'Waiting for an answer'), ('erase_now', 'Erase now'), ('keep_until', 'Keep until a date')], default='pending', max_length=16)),
                        ('keep_until', models.DateField(blank=True, null=True)),
                        ('rule', models.CharField(blank=True, max_length=200)),
                        ('answered_at', models.DateTimeField(blank=True, null=True)),
                        ('answered_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('client', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='erasure_requests', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'counseling_erasurerequest',
                        'ordering': ['-requested_at'],
                    },
                ),
                migrations.CreateModel(
                    name='LegalHold',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('reason', models.CharField(max_length=200, verbose_name='reason (no clinical detail)')),
                        ('placed_at', models.DateTimeField(default=counseling.clock.now)),
                        ('released_at', models.DateTimeField(blank=True, null=True)),
                        ('client', models.ForeignKey(limit_choices_to={'role': 'client'}, on_delete=django.db.models.deletion.PROTECT, related_name='legal_holds', to=settings.AUTH_USER_MODEL)),
                        ('placed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'counseling_legalhold',
                        'ordering': ['-placed_at'],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
