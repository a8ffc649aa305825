import html

from django import template
from django.utils.formats import localize
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.timesince import TIME_STRINGS, timesince
from django.utils.translation import gettext as _

from counseling.url_for_each import url_for_each
from crisis.selectors import roster_gaps

register = template.Library()


@register.simple_tag
def roster_gaps_now() -> list[str]:
    """The on-call roster roles nobody covers now (for the staff dashboard's warning)."""
    return roster_gaps()


class _UnitsOnce:
    """A unit of TIME_STRINGS ("%(num)d minutes") that `timesince` formats, each number translated once: the lazy
    string's `%` looks up the active language's catalogue and plural on every call (50 rows, two units each)."""

    def __init__(self, unit):
        self.unit = unit
        self.made = {}

    def __mod__(self, values: dict) -> str:
        num = values["num"]
        text = self.made.get(num)
        if text is None:
            text = self.made[num] = self.unit % values
        return text


class _EscapedOnce(dict):
    """text -> escape(text), each text escaped once (a page's rows repeat the same few labels)."""

    def __missing__(self, text):
        made = self[text] = escape(text)
        return made


@register.simple_tag
def risk_queue_table_rows(rows):
    """The <tr> of each `risk_queue_rows` row, the markup templates/crisis/risk_queue.html's loop made (50 rows of
    six cells were ~a third of the page's time in the template language): the detail URL is reversed once, "ago"
    and the labels translated and escaped once per page, the "timesince" units once per number. Every value is
    escaped, as the loop's autoescape did."""
    detail_url = url_for_each("escalation:detail")
    escaped = _EscapedOnce()
    ago = escaped[_("ago")]
    units = {name: _UnitsOnce(unit) for name, unit in TIME_STRINGS.items()}
    levels = {}
    made = []
    for row in rows:
        level = levels.get(row.severity_level)
        if level is None:
            level = levels[row.severity_level] = escape(localize(row.severity_level))
        made.append(
            "\n    <tr>\n"
            f'      <td><span class="badge severity-{level}">{escaped[row.severity]}</span></td>\n'
            # html.escape: what django.utils.html.escape does to a str, without its check for lazy text
            f'      <td><a href="{html.escape(detail_url(row.pk))}">{escaped[row.kind]}</a></td>\n'
            f"      <td>{html.escape(row.client_name)}</td>\n"
            # the "timesince" filter's text (its `now` is taken for each row, as the filter's was)
            f"      <td>{html.escape(timesince(row.created_at, time_strings=units))} {ago}</td>\n"
            f"      <td>{escaped[row.state]}</td>\n"
            f"      <td>{escaped[row.rung]}</td>\n"
            "    </tr>\n  "
        )
    return mark_safe("".join(made))  # noqa: S308 (every value above is escaped)
