"""The caseload's table rows, made in Python.

A page holds 50 rows of seven cells; in the template language each row cost ~860 Python function calls (variable
lookups, {% if %}, two {% url %}, filters), a third of the page's time. `caseload_rows` makes the same markup,
escaped the same way, for a small part of that: each URL is reversed once per page and its id put in per row, each
word translated once per page, and a row is one f-string, not a format_html of a dozen values (each escaped through
Django's lazy-aware wrappers). templates/dashboards/counselor_home.html keeps the table.
"""

from __future__ import annotations

from html import escape

from django import template
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from counseling.templatetags.date_labels import date_label_for_each
from counseling.url_for_each import url_for_each

register = template.Library()


@register.simple_tag
def caseload_rows(rows: list[dict]):
    """The <tr> of each row of `counselor_dashboard_context`'s "rows" (each client a CaseloadRow), its dates in
    the time zone of the enclosing {% timezone %} (the counselor's). The markup is fixed text and every value is
    escaped, as format_html did: a pseudonym, URL, count or date with html.escape (what Django's escape does),
    the words and a gate's message with conditional_escape; each word and count once per page."""
    client_url = url_for_each("sessions:caseload_client")
    session_url = url_for_each("sessions:session_detail")
    session_label, contact_label = date_label_for_each("D j M, H:i"), date_label_for_each("j M Y")
    ok = {
        kind: f'<td><span class="badge ok">{conditional_escape(word)}</span></td>'
        for kind, word in (("consent", _("current")), ("identity", _("verified")))
    }
    refused = {"consent": conditional_escape(_("missing")), "identity": conditional_escape(_("not verified"))}
    counts: dict[tuple[int, str], str] = {}  # (count, badge) -> its cell, each count localized once per page
    html = []
    for row in rows:
        client = row["client"]
        cells = [
            f'<tr class="caseload-row{" has-risk" if client.open_risk_flags else ""}">',
            f'<td><a href="{escape(client_url(client.pk))}">{escape(client.display_name)}</a></td>',
        ]
        if client.next_session_at:
            when = session_label(client.next_session_at)
            cells.append(f'<td><a href="{escape(session_url(client.next_session_id))}">{escape(when)}</a></td>')
        else:
            cells.append("<td>—</td>")
        for count, badge in ((client.unread_count, "warn"), (client.open_risk_flags, "bad")):
            if not count:
                cells.append("<td>0</td>")
                continue
            if (count, badge) not in counts:
                counts[count, badge] = f'<td><span class="badge {badge}">{escape(localize(count))}</span></td>'
            cells.append(counts[count, badge])
        for kind in ("consent", "identity"):
            gate = row[kind]
            if gate.allowed:
                cells.append(ok[kind])
            else:
                title = conditional_escape(gate.message)
                cells.append(f'<td><span class="badge bad" title="{title}">{refused[kind]}</span></td>')
        if client.last_contact:
            cells.append(f"<td>{escape(contact_label(client.last_contact))}</td>")
        else:
            cells.append("<td>—</td>")
        html.append("\n      ".join(cells) + "\n    </tr>")
    return mark_safe("\n    ".join(html))  # noqa: S308  every value above is escaped


@register.simple_tag
def notes_due_rows(rows: list[dict]):
    """The <li> of each unsigned note of `notes_unsigned_panel`'s "rows" (the same markup the template's loop
    made, for a fraction of its time), its dates in the time zone of the enclosing {% timezone %}; escaped as
    `caseload_rows` escapes."""
    note_url = url_for_each("clinical:session_note")
    starts_label, due_label = date_label_for_each("D j M, H:i"), date_label_for_each("j M, H:i")
    draft, not_written, overdue_since, due = (
        conditional_escape(_(word)) for word in ("draft", "not written", "overdue since", "due")
    )
    html = []
    for row in rows:
        starts_at, due_at = escape(starts_label(row["starts_at"])), escape(due_label(row["due_at"]))
        deadline = f'<span class="badge bad">{overdue_since} {due_at}</span>' if row["overdue"] else f"{due} {due_at}"
        html.append(
            f'\n    <li><a href="{escape(note_url(row["session_id"]))}">{starts_at} · {escape(row["client_name"])}</a>'
            f"\n      · {draft if row['draft'] else not_written}\n      · {deadline}</li>\n  "
        )
    return mark_safe("".join(html))  # noqa: S308  every value above is escaped
