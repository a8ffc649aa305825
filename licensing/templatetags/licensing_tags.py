from django import template
from django.utils.translation import get_language_info

from counseling.models import COUNSELING_LANGUAGES

register = template.Library()


@register.filter
def language_label(code: str) -> str:
    """A language code as its name in the reader's language; unknown codes are shown as they are."""
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return dict(COUNSELING_LANGUAGES).get(code, code)  # Javanese, Sundanese: in their own names
