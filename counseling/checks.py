import base64
import ipaddress

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError

from counseling.clock import now
from counseling.crypto import Keyring, epoch_start
from counseling.kek_epochs import kek_next_epoch_missing
from counseling.models import KekEpoch


@register()
def encryption_keys_check(app_configs, **kwargs):
    try:
        Keyring.parse(settings.FIELD_ENCRYPTION_KEYS)
    except Exception as exc:
        return [Error(f"FIELD_ENCRYPTION_KEYS is not usable: {exc}", id="counseling.E001")]
    return []


@register()
def audit_key_check(app_configs, **kwargs):
    try:
        ring = Keyring.parse(settings.AUDIT_KEY, name="AUDIT_KEY")
    except Exception as exc:
        return [Error(f"AUDIT_KEY is not usable: {exc}", id="counseling.E002")]
    try:
        field_keys = set(Keyring.parse(settings.FIELD_ENCRYPTION_KEYS).keys.values())
    except Exception:
        field_keys = set()
    if field_keys & set(ring.keys.values()):
        return [
            Error("AUDIT_KEY must not reuse a key of FIELD_ENCRYPTION_KEYS: one key, one job.", id="counseling.E003")
        ]
    if any(len(key_id) > 32 for key_id in ring.keys):
        return [Error("AUDIT_KEY: key ids are at most 32 characters.", id="counseling.E002")]
    return []


# The example values of .env.example (and the development defaults of settings.py): public, so a production
# process holding one of them has no secret at all. Compared by value: a new id on an old key is still the key.
EXAMPLE_SECRET_KEYS = {
    "CHANGE-ME-this-is-an-example-value-only-0123456789abcdefghijkl",
    "dev-only-insecure-secret-key-change-me-0123456789abcdefghijklmnop",
}
EXAMPLE_KEYS = {
    "FIELD_ENCRYPTION_KEYS": {
        "Q0hBTkdFLU1FLWV4YW1wbGUta2V5LTAxMjM0NTY3ODk=",
        "ZGV2LW9ubHktaW5zZWN1cmUtZmllbGQta2V5LTAwMDA=",
    },
    "AUDIT_KEY": {
        "Q0hBTkdFLU1FLWF1ZGl0LWV4YW1wbGUta2V5LTAxMjM=",
        "ZGV2LW9ubHktaW5zZWN1cmUtYXVkaXQta2V5LTAwMDA=",
    },
}
EXAMPLE_TURN_SECRETS = {"CHANGE-ME-example-turn-secret-0123456789"}
GENERATE = {
    "SECRET_KEY": 'python -c "import secrets; print(secrets.token_urlsafe(50))"',
    "CALL_TURN_SECRET": 'python -c "import secrets; print(secrets.token_urlsafe(32))"',
    "FIELD_ENCRYPTION_KEYS": (
        'python -c "import base64, datetime, os; '
        "print(datetime.date.today().isoformat() + ':' + base64.b64encode(os.urandom(32)).decode())\""
    ),
    "AUDIT_KEY": "python -c \"import base64, os; print('a1:' + base64.b64encode(os.urandom(32)).decode())\"",
}


@register(Tags.security, deploy=False)
def example_secrets_check(app_configs, **kwargs):
    """With DEBUG off, refuse the example secrets of .env.example (and the development defaults)."""
    if settings.DEBUG:
        return []
    errors = []
    if settings.SECRET_KEY in EXAMPLE_SECRET_KEYS:
        errors.append(
            Error(
                "SECRET_KEY is the example value from .env.example: anyone can forge sessions with it.",
                hint=f"Generate a new one: {GENERATE['SECRET_KEY']}",
                id="counseling.E004",
            )
        )
    if settings.CALL_TURN_SECRET in EXAMPLE_TURN_SECRETS:
        errors.append(
            Error(
                "CALL_TURN_SECRET is the example value from .env.example: anyone could make credentials for the "
                "TURN relay with it.",
                hint=f"Generate a new one and give coturn the same: {GENERATE['CALL_TURN_SECRET']}",
                id="counseling.E009",
            )
        )
    for name, examples in EXAMPLE_KEYS.items():
        try:
            ring = Keyring.parse(getattr(settings, name), name=name)
        except ImproperlyConfigured:
            continue  # E001/E002 say what is wrong
        public = sorted(key_id for key_id, raw in ring.keys.items() if base64.b64encode(raw).decode() in examples)
        if public:
            errors.append(
                Error(
                    f"{name} holds the example key of .env.example ({', '.join(public)}): it is public, so it "
                    "protects nothing.",
                    hint=f"Generate a new key and put it in place of the example: {GENERATE[name]}",
                    id="counseling.E005",
                )
            )
    return errors


@register()
def kek_epoch_check(app_configs, **kwargs):
    """With DEBUG off, the backup promise rests on dated KEK epochs kept on schedule (counseling.kek_epochs)."""
    if settings.DEBUG:
        return []
    try:
        ring = Keyring.parse(settings.FIELD_ENCRYPTION_KEYS, today=now().date())
    except Exception:
        return []
    if epoch_start(ring.primary_id) is None:
        return [
            Warning(
                "FIELD_ENCRYPTION_KEYS has no dated epoch key: a backup taken before a client's data was shredded "
                "stays readable for as long as its key lives, which breaks the promise of the consent text.",
                hint=f"Add a key dated today in front: {GENERATE['FIELD_ENCRYPTION_KEYS']} (docs/security.md).",
                id="counseling.W006",
            )
        ]
    if kek_next_epoch_missing():
        return [
            Warning(
                f"The current key epoch {ring.primary_id} has run KEK_EPOCH_DAYS ({settings.KEK_EPOCH_DAYS}) and "
                "no next epoch's key is in FIELD_ENCRYPTION_KEYS: shredded data stays readable in backups longer "
                "than promised.",
                hint=f"Add the next epoch's key: {GENERATE['FIELD_ENCRYPTION_KEYS']}",
                id="counseling.W007",
            )
        ]
    return []


@register(Tags.database)
def retired_kek_check(app_configs, databases=None, **kwargs):
    """A retired epoch's key must exist nowhere: refuse it in the environment (runs with migrate)."""
    if not databases:
        return []
    try:
        ring = Keyring.parse(settings.FIELD_ENCRYPTION_KEYS)
        retired = sorted(
            KekEpoch.objects.filter(retired_at__isnull=False, kek_id__in=list(ring.keys)).values_list(
                "kek_id", flat=True
            )
        )
    except (ImproperlyConfigured, DatabaseError):
        return []
    if retired:
        return [
            Error(
                f"FIELD_ENCRYPTION_KEYS still holds retired key epochs: {', '.join(retired)}. While the key exists, "
                "backups of data shredded in that epoch can still be read.",
                hint="Remove them from the environment and the secret store, then restart.",
                id="counseling.E008",
            )
        ]
    return []


@register()
def trusted_proxies_check(app_configs, **kwargs):
    """TRUSTED_PROXIES decides whose X-Forwarded-For is believed (counseling.client_address)."""
    bad = []
    for entry in settings.TRUSTED_PROXIES:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            bad.append(entry)
    if bad:
        return [
            Error(
                f"TRUSTED_PROXIES holds entries that are not addresses or networks: {', '.join(bad)}.",
                hint='A comma-separated list such as "10.0.0.0/8,192.0.2.10".',
                id="counseling.E030",
            )
        ]
    if settings.BEHIND_TLS_PROXY and not settings.TRUSTED_PROXIES:
        return [
            Warning(
                "BEHIND_TLS_PROXY is on but TRUSTED_PROXIES is empty: every request seems to come from the proxy, "
                "so all people share one address in the login throttle and the audit log.",
                hint="Set TRUSTED_PROXIES to the proxy's address or network (docs/security.md).",
                id="counseling.W031",
            )
        ]
    return []
