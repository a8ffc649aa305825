from django.conf import settings
from django.core.checks import Error, register

from counseling.crypto import Keyring


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
