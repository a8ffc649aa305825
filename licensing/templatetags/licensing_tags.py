from django import forms, template
from django.utils.html import format_html, format_html_join
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


@register.simple_tag
def select_field(field) -> str:
    """A choice field's <select>, byte for byte as `{{ field }}` renders it, written here in one pass where the
    widget renders a template per option. Only for a plain optional Select without errors, help text or attributes
    (the directory's filters); any other field is rendered by its widget."""
    widget = field.field.widget
    if type(widget) is not forms.Select or widget.attrs or field.errors or field.field.required or field.field.disabled:
        return field.as_widget()
    if field.help_text or not field.auto_id:
        return field.as_widget()
    value = field.value()
    chosen, marked = str(value) if value is not None else "", False
    options = []
    for option_value, label in field.field.choices:
        selected = not marked and str(option_value) == chosen
        marked = marked or selected
        options.append((option_value, mark_safe(" selected") if selected else "", label))
    return format_html(
        '<select name="{}" id="{}">{}\n</select>',
        field.html_name,
        field.auto_id,
        format_html_join("", '\n  <option value="{}"{}>{}</option>\n', options),
    )
