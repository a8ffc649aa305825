"""The audit log under a keyed MAC, and (on PostgreSQL) a trigger that refuses UPDATE and DELETE of it.

Existing entries are not touched: they keep their unkeyed SHA-256 and get an empty key id. Re-signing them
here would need AUDIT_KEY at migrate time and an UPDATE of every row of an append-only table, and would vouch
for whatever the rows say today as if it had been signed when written. Instead the chain re-anchors: the first
entry written after this migration is signed and its MAC covers the newest old entry, and verify_audit_log
says how many entries were written before the key (counseling/audit.py).

The trigger stops the application's own role, an injected statement and a slip in a shell. The table's owner
can drop or disable it (and so can a superuser); run the application as a role that does not own the table
(docs/operations.md). UPDATE, DELETE and TRUNCATE are also revoked from every role but the owner that holds
them. Retention never updates or deletes an audit row: entries hold ids and action names, no client content.
"""

from django.db import migrations, models

TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION counseling_auditentry_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'The audit log is append-only: % of counseling_auditentry refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS counseling_auditentry_append_only ON counseling_auditentry;
CREATE TRIGGER counseling_auditentry_append_only
    BEFORE UPDATE OR DELETE ON counseling_auditentry
    FOR EACH ROW EXECUTE FUNCTION counseling_auditentry_refuse_change();

DO $$
DECLARE
    grantee oid;
BEGIN
    FOR grantee IN
        SELECT DISTINCT acl.grantee
        FROM pg_class c, aclexplode(c.relacl) acl
        WHERE c.oid = 'counseling_auditentry'::regclass
          AND acl.grantee <> c.relowner
          AND acl.privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE')
    LOOP
        IF grantee = 0 THEN
            EXECUTE 'REVOKE UPDATE, DELETE, TRUNCATE ON counseling_auditentry FROM PUBLIC';
        ELSE
            EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON counseling_auditentry FROM %s', grantee::regrole);
        END IF;
    END LOOP;
END
$$;
"""

UNDO_TRIGGER_SQL = """
DROP TRIGGER IF EXISTS counseling_auditentry_append_only ON counseling_auditentry;
DROP FUNCTION IF EXISTS counseling_auditentry_refuse_change();
"""


def add_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER_SQL, params=None)


def remove_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNDO_TRIGGER_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("counseling", "0007_models_moved_to_their_apps"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="key_id",
            field=models.CharField(blank=True, default="", max_length=32),
        ),
        migrations.AddField(
            model_name="auditchainhead",
            name="key_id",
            field=models.CharField(blank=True, default="", max_length=32),
        ),
        migrations.AddField(
            model_name="auditchainhead",
            name="mac",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.RunPython(add_guard, remove_guard, elidable=False),
    ]
