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
