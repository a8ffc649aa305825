import html

from django import forms, template
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.timezone import localtime
from django.utils.translation import get_language_info, ngettext
from django.utils.translation import gettext as _

from counseling.models import COUNSELING_LANGUAGES
from counseling.templatetags.date_labels import date_label
from counseling.url_for_each import url_for_each

register = template.Library()


def _escape(text) -> str:
    """conditional_escape(text) as a plain string, a plain string escaped at once (its common case, ~10x faster)."""
    if type(text) is str:
        return html.escape(text)  # what django.utils.html.escape does with one
    return str(conditional_escape(text))


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
    return mark_safe(  # noqa: S308 - each value and label escaped
        "\n".join(
            f'<option value="{_escape(value)}"{" selected" if str(value) == chosen else ""}>{_escape(label)}</option>'
            for value, label in field.field.choices
        )
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
        options.append(
            f'\n  <option value="{_escape(option_value)}"{" selected" if selected else ""}>{_escape(label)}</option>\n'
        )
    return mark_safe(  # noqa: S308 - each value and label escaped
        f'<select name="{_escape(field.html_name)}" id="{_escape(field.auto_id)}">{"".join(options)}\n</select>'
    )


_CARD = (
    '\n  <article class="card counselor-card" data-counselor="{}">'
    '\n    <h2><a href="{}">{}</a></h2>'
    "\n    <p>{}</p>"
    "\n    <p>{}:\n      {}{}</p>"
    "\n    <p>{}: {} · {}: {}</p>"
    "\n    {}"
    '\n    <p class="next-free">{}</p>'
    "\n    {}"
    "\n  </article>\n"
)


@register.simple_tag
def counselor_cards(entries, zone: str, horizon_days: int):
    """The directory's cards (licensing.selectors.DirectoryEntry, completed by directory_cards and
    directory_next_free), each its next free time in the time zone of the enclosing {% timezone %} (`zone`, named on
    the card). The same markup the template's loop made (tests/licensing/test_counselor_cards_markup.py keeps it),
    escaped the same way, for a fraction of its time: a card was ~900 Python calls of variable lookups and tags,
    and each word is translated here once per page."""
    profile_url = url_for_each("licensing:counselor_profile")
    licensed_in, compact_privilege = _escape(_("Licensed in")), _escape(_("compact privilege"))
    languages_label, zone_label = _escape(_("Languages")), _escape(_("Time zone"))
    specialities_label = _escape(_("Specialities"))
    view_profile, view_and_book = _escape(_("View profile")), _escape(_("View profile and book"))
    available, not_available = _escape(_("Available where you are")), _escape(_("Not available where you are"))
    # The sentences as {% blocktranslate %} made them: their values escaped, the translation itself not.
    no_free_time = ngettext(
        "No free time in the next %(days)s day", "No free time in the next %(days)s days", horizon_days
    ) % {"days": _escape(localize(horizon_days))}
    next_free_time = _("Next free time: %(when)s (%(zone)s)")
    zone_shown = _escape(zone)
    languages: dict[str, str] = {}
    cards = []
    # Each value escaped as format_html would (_escape), the markup put together with str.format.
    for entry in entries:
        profile = entry.profile
        url = _escape(profile_url(entry.counselor_id))
        places = _escape(", ".join(entry.licence_places))
        privileges = "".join(
            f", {_escape(privilege.jurisdiction.name)} ({compact_privilege})" for privilege in entry.privileges
        )
        codes = profile.language_codes
        for code in codes:
            if code not in languages:
                languages[code] = language_label(code)
        specialities = profile.speciality_list
        if specialities:
            specialities = f"<p>{specialities_label}: {_escape(', '.join(specialities))}</p>"
        else:
            specialities = ""
        if entry.next_free:
            when = date_label(localtime(entry.next_free), "D j M H:i")
            next_free = next_free_time % {"when": _escape(when), "zone": zone_shown}
        else:
            next_free = no_free_time
        if entry.gate is None:
            gate = f'\n      <p><a href="{url}">{view_profile}</a></p>\n    '
        elif entry.bookable:
            gate = (
                f'\n      <p><span class="badge ok">{available}</span>\n        <a class="button" href="{url}">'
                f"{view_and_book}</a></p>\n    "
            )
        else:
            gate = f'\n      <p><span class="badge bad">{not_available}</span> {_escape(entry.gate.message)}</p>\n    '
        cards.append(
            _CARD.format(
                _escape(localize(entry.counselor_id)),
                url,
                _escape(profile.display_name),
                _escape(profile.professional_title),
                licensed_in,
                places,
                privileges,
                languages_label,
                _escape(", ".join(languages[code] for code in codes)),
                zone_label,
                _escape(profile.time_zone),
                specialities,
                next_free,
                gate,
            )
        )
    return mark_safe("".join(cards))  # noqa: S308 - each value escaped
