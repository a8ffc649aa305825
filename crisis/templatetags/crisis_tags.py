from django import template
from django.template.defaultfilters import timesince_filter
from django.utils.formats import localize
from django.utils.html import format_html_join
from django.utils.translation import gettext as _

from counseling.url_for_each import url_for_each
from crisis.selectors import roster_gaps

register = template.Library()


@register.simple_tag
def roster_gaps_now() -> list[str]:
    """The on-call roster roles nobody covers now (for the staff dashboard's warning)."""
    return roster_gaps()


@register.simple_tag
def risk_queue_table_rows(rows):
    """The <tr> of each `risk_queue_rows` row, the markup templates/crisis/risk_queue.html's loop made (50 rows of
    six cells were ~a third of the page's time in the template language): the detail URL is reversed once and
    "ago" translated once per page; every value is escaped (format_html)."""
    detail_url = url_for_each("escalation:detail")
    ago = _("ago")
    row_html = (
        "\n    <tr>\n"
        '      <td><span class="badge severity-{}">{}</span></td>\n'
        '      <td><a href="{}">{}</a></td>\n'
        "      <td>{}</td>\n"
        "      <td>{} {}</td>\n"
        "      <td>{}</td>\n"
        "      <td>{}</td>\n"
        "    </tr>\n  "
    )
    return format_html_join(
        "",
        row_html,
        (
            (
                localize(row.escalation.severity),
                row.severity,
                detail_url(row.escalation.pk),
                row.kind,
                "" if row.escalation.client is None else row.escalation.client.display_name,
                timesince_filter(row.escalation.created_at),
                ago,
                row.state,
                row.rung,
            )
            for row in rows
        ),
    )
