"""The models of crisis (risk phrases, the on-call roster, escalations, their events and alerts) move here from the core app. Their tables stay where they are
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
                    name='Escalation',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('help_button', 'Help button pressed'), ('risk_phrase', 'Risk phrase in a message'), ('reply_overdue', 'Message left unanswered past the promised time'), ('no_emergency_plan', 'Location confirmed without an emergency plan')], max_length=24)),
                        ('severity', models.PositiveSmallIntegerField(choices=[(1, 'Low'), (2, 'Medium'), (3, 'High')])),
                        ('dedupe_key', models.CharField(max_length=96, unique=True)),
                        ('state', models.CharField(choices=[('open', 'Open'), ('acknowledged', 'Acknowledged'), ('resolved', 'Resolved')], default='open', max_length=16)),
                        ('rung', models.CharField(choices=[('counselor', "Client's counselor"), ('on_call', 'On-call counselor'), ('supervisor', 'Supervisor'), ('admin', 'Admins')], default='counselor', max_length=16)),
                        ('next_step_at', models.DateTimeField(blank=True, db_index=True, null=True)),
                        ('created_at', models.DateTimeField(default=counseling.clock.now)),
                        ('acknowledged_at', models.DateTimeField(blank=True, null=True)),
                        ('resolved_at', models.DateTimeField(blank=True, null=True)),
                        ('presses_again', models.PositiveIntegerField(default=0)),
                        ('repeat_alerts', models.PositiveIntegerField(default=0)),
                        ('repeat_alerted_at', models.DateTimeField(blank=True, null=True)),
                        ('client', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='escalations', to=settings.AUTH_USER_MODEL)),
                        ('counselor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('message', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='counseling_sessions.message')),
                        ('session', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='counseling_sessions.counselingsession')),
                    ],
                    options={
                        'db_table': 'counseling_escalation',
                        'ordering': ['-severity', 'created_at'],
                    },
                ),
                migrations.CreateModel(
                    name='EscalationAlert',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('rung', models.CharField(choices=[('counselor', "Client's counselor"), ('on_call', 'On-call counselor'), ('supervisor', 'Supervisor'), ('admin', 'Admins')], max_length=16)),
                        ('created_at', models.DateTimeField(default=counseling.clock.now)),
                        ('claimed_until', models.DateTimeField(blank=True, null=True)),
                        ('attempts', models.PositiveIntegerField(default=0)),
                        ('notified_at', models.DateTimeField(blank=True, null=True)),
                        ('emailed_at', models.DateTimeField(blank=True, null=True)),
                        ('press', models.PositiveIntegerField(default=0)),
                        ('escalation', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='alerts', to='crisis.escalation')),
                        ('recipient', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'counseling_escalationalert',
                        'ordering': ['created_at', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='EscalationEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('at', models.DateTimeField(default=counseling.clock.now)),
                        ('kind', models.CharField(max_length=32)),
                        ('rung', models.CharField(blank=True, max_length=16)),
                        ('note_sealed', models.BinaryField(blank=True, null=True)),
                        ('note_ref', models.CharField(blank=True, max_length=36)),
                        ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('escalation', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='events', to='crisis.escalation')),
                    ],
                    options={
                        'db_table': 'counseling_escalationevent',
                        'ordering': ['at', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='OnCallShift',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('role', models.CharField(choices=[('on_call', 'On call'), ('supervisor', 'Supervisor')], default='on_call', max_length=16, verbose_name='role')),
                        ('starts_at', models.DateTimeField(verbose_name='from')),
                        ('ends_at', models.DateTimeField(verbose_name='until')),
                        ('user', models.ForeignKey(limit_choices_to={'role__in': ['counselor', 'admin']}, on_delete=django.db.models.deletion.CASCADE, related_name='on_call_shifts', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'counseling_oncallshift',
                        'ordering': ['starts_at'],
                    },
                ),
                migrations.CreateModel(
                    name='RiskPhrase',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('language', models.CharField(choices=[('en', 'English'), ('id', 'Bahasa Indonesia')], max_length=8, verbose_name='language')),
                        ('phrase', models.CharField(max_length=120, verbose_name='phrase')),
                        ('severity', models.PositiveSmallIntegerField(choices=[(1, 'Low'), (2, 'Medium'), (3, 'High')], default=3, verbose_name='severity')),
                        ('is_active', models.BooleanField(default=True, verbose_name='active')),
                    ],
                    options={
                        'db_table': 'counseling_riskphrase',
                        'ordering': ['language', 'phrase'],
                        'constraints': [models.UniqueConstraint(fields=('language', 'phrase'), name='risk_phrase_unique')],
                    },
                ),
                migrations.AddIndex(
                    model_name='escalation',
                    index=models.Index(fields=['state', 'severity', 'created_at'], name='counseling__state_1a1a33_idx'),
                ),
                migrations.AddConstraint(
                    model_name='escalationalert',
                    constraint=models.UniqueConstraint(fields=('escalation', 'rung', 'recipient', 'press'), name='escalation_alert_once_per_rung_and_press'),
                ),
                migrations.AddIndex(
                    model_name='oncallshift',
                    index=models.Index(fields=['role', 'starts_at', 'ends_at'], name='counseling__role_473dfe_idx'),
                ),
                migrations.AddConstraint(
                    model_name='oncallshift',
                    constraint=models.CheckConstraint(condition=models.Q(('ends_at__gt', models.F('starts_at'))), name='on_call_shift_ends_after_start'),
                ),
            ],
            database_operations=[],
        ),
    ]
