from django import template
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
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


@register.simple_tag
def select_options(field) -> str:
    """The <option>s of a choice field, the one chosen marked, as Django's Select renders them: written here in
    one pass, where the widget renders two templates per option (the directory's place has some 90)."""
    chosen = str(field.value() if field.value() is not None else "")
    return format_html_join(
        "\n",
        '<option value="{}"{}>{}</option>',
        (
            (value, mark_safe(" selected") if str(value) == chosen else "", label)
            for value, label in field.field.choices
        ),
    )
