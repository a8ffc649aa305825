"""The caseload's table rows, made in Python.

A page holds 50 rows of seven cells; in the template language each row cost ~860 Python function calls (variable
lookups, {% if %}, two {% url %}, filters), a third of the page's time. `caseload_rows` makes the same markup,
escaped the same way (format_html), for about half the time: each URL is reversed once per page and its id put
in per row, each word translated once per page. templates/dashboards/counselor_home.html keeps the table.
"""

from __future__ import annotations

from django import template
from django.utils.formats import localize
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from counseling.templatetags.date_labels import date_label
from counseling.url_for_each import url_for_each

register = template.Library()


@register.simple_tag
def caseload_rows(rows: list[dict]):
    """The <tr> of each row of `counselor_dashboard_context`'s "rows", its dates in the time zone of the
    enclosing {% timezone %} (the counselor's). Each row is one format_html: its format is made of the fixed
    markup below only, and every value is escaped."""
    client_url = url_for_each("sessions:caseload_client")
    session_url = url_for_each("sessions:session_detail")
    current, missing, verified, not_verified = _("current"), _("missing"), _("verified"), _("not verified")
    localized: dict[int, str] = {}  # each count localized once per page (the same few small numbers recur)
    html = []
    for row in rows:
        client, consent, identity, last_contact = row["client"], row["consent"], row["identity"], row["last_contact"]
        cells = ['<tr class="caseload-row{}">', '<td><a href="{}">{}</a></td>']
        values = [
            " has-risk" if client.open_risk_flags else "",
            client_url(client.pk),
            client.client_profile.display_name,
        ]
        if client.next_session_at:
            cells.append('<td><a href="{}">{}</a></td>')
            values += [session_url(client.next_session_id), date_label(localtime(client.next_session_at), "D j M, H:i")]
        else:
            cells.append("<td>—</td>")
        for count, badge in ((client.unread_count, "warn"), (client.open_risk_flags, "bad")):
            if count:
                cells.append(f'<td><span class="badge {badge}">{{}}</span></td>')
                if count not in localized:
                    localized[count] = localize(count)
                values.append(localized[count])
            else:
                cells.append("<td>0</td>")
        for gate, ok, refused in ((consent, current, missing), (identity, verified, not_verified)):
            if gate.allowed:
                cells.append('<td><span class="badge ok">{}</span></td>')
                values.append(ok)
            else:
                cells.append('<td><span class="badge bad" title="{}">{}</span></td>')
                values += [gate.message, refused]
        if last_contact:
            cells.append("<td>{}</td>")
            values.append(date_label(localtime(last_contact), "j M Y"))
        else:
            cells.append("<td>—</td>")
        html.append(format_html("\n      ".join(cells) + "\n    </tr>", *values))
    return format_html_join("\n    ", "{}", ((row,) for row in html))


@register.simple_tag
def notes_due_rows(rows: list[dict]):
    """The <li> of each unsigned note of `notes_unsigned_panel`'s "rows" (the same markup the template's loop
    made, for a fraction of its time), its dates in the time zone of the enclosing {% timezone %}."""
    note_url = url_for_each("clinical:session_note")
    draft, not_written, overdue_since, due = _("draft"), _("not written"), _("overdue since"), _("due")
    html = []
    for row in rows:
        session, due_at = row["session"], date_label(localtime(row["due_at"]), "j M, H:i")
        html.append(
            format_html(
                '\n    <li><a href="{}">{} · {}</a>\n      · {}\n      · '
                + ('<span class="badge bad">{} {}</span>' if row["overdue"] else "{} {}")
                + "</li>\n  ",
                note_url(session.pk),
                date_label(localtime(session.starts_at), "D j M, H:i"),
                row["client_name"],
                draft if row["draft"] else not_written,
                overdue_since if row["overdue"] else due,
                due_at,
            )
        )
    return format_html_join("", "{}", ((row,) for row in html))
