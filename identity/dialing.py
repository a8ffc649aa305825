"""How an emergency number is dialled and labelled: one function for every page, e-mail and alert.

A `tel:` link must dial exactly what its label says (crisis-line practice). A menu digit after the
number ("119, then press 8") is dialled as a pause (`,`) and the digit: `tel:119,8`. Dropping the
separator, as a page once did, dials 1198, which is a different number.
"""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _


def _digits(value: str) -> str:
    value = (value or "").strip()
    kept = "".join(ch for ch in value if ch.isdigit())
    return f"+{kept}" if value.startswith("+") and kept else kept


def dial_uri(*, number: str, extension: str = "", channel: str = "call") -> str:
    """The link target: `tel:110`, `tel:119,8` (a pause, then the menu digit), `sms:741741`.

    An empty number gives "" (no link: "your local emergency number" has nothing to dial).
    """
    number = _digits(number)
    if not number:
        return ""
    if channel == "text":
        return f"sms:{number}"
    extension = _digits(extension).lstrip("+")
    return f"tel:{number},{extension}" if extension else f"tel:{number}"


def dial_label(*, number: str, extension: str = "", channel: str = "call") -> str:
    """What a person reads next to the link, in the active language: "119, then press 8"."""
    number = (number or "").strip()
    extension = (extension or "").strip()
    if channel == "text":
        return _("text %(number)s") % {"number": number}
    if extension:
        return _("%(number)s, then press %(extension)s") % {"number": number, "extension": extension}
    return number


def dial_link(*, number: str, extension: str = "", channel: str = "call") -> SafeString:
    """`<a href="tel:119,8">119, then press 8</a>`, or the label alone when there is nothing to dial."""
    label = dial_label(number=number, extension=extension, channel=channel)
    uri = dial_uri(number=number, extension=extension, channel=channel)
    if not uri:
        return format_html("{}", label)
    return format_html('<a class="phone" href="{}">{}</a>', uri, label)
