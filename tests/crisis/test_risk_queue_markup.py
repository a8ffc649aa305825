"""The risk queue's rows, made by a template tag (crisis/templatetags/crisis_tags.py risk_queue_table_rows), print
exactly what the template's loop printed before: the loop is kept here as the reference."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from crisis.models import EscalationKind, EscalationState, Rung, Severity
from crisis.selectors import RiskQueueRow

ROWS_LOOP = """{% load i18n tz %}<tbody>
  {% for row in rows %}{% with escalation=row.escalation %}
    <tr>
      <td><span class="badge severity-{{ escalation.severity }}">{{ row.severity }}</span></td>
      <td><a href="{% url 'escalation:detail' escalation.pk %}">{{ row.kind }}</a></td>
      <td>{{ escalation.client.display_name }}</td>
      <td>{{ escalation.created_at|timesince }} {% translate "ago" %}</td>
      <td>{{ row.state }}</td>
      <td>{{ row.rung }}</td>
    </tr>
  {% endwith %}{% endfor %}
  </tbody>"""

ROWS_TAG = """{% load crisis_tags %}<tbody>
  {% risk_queue_table_rows rows %}
  </tbody>"""


def _rows():
    """(the rows as the loop read them: the escalation and its labels, the same as `risk_queue_rows` rows)."""
    now = timezone.now()
    names = ['Ann <b>&</b> "Bo"', "Budi", "Citra's"]
    severities, kinds, states, rungs = list(Severity), list(EscalationKind), list(EscalationState), list(Rung)
    loop_rows, rows = [], []
    for i in range(17):
        escalation = SimpleNamespace(
            pk=40 + i * 97,
            severity=severities[i % len(severities)].value,
            # whole days and hours plus half an hour: the two renders agree even if a minute passes between them;
            # from minutes to years, several rows with the same numbers of different units
            created_at=now - timedelta(days=i % 4 * 3 + (i % 3) * 200, hours=i % 5, minutes=30),
            client=SimpleNamespace(display_name=names[i % 3]) if i % 7 else None,
        )
        labels = {
            "severity": str(severities[i % len(severities)].label),
            "kind": str(kinds[i % len(kinds)].label),
            "state": str(states[i % len(states)].label),
            "rung": str(rungs[i % len(rungs)].label) if i % 6 else '<"odd" & rung>',
        }
        loop_rows.append(SimpleNamespace(escalation=escalation, **labels))
        rows.append(
            RiskQueueRow(
                pk=escalation.pk,
                severity_level=escalation.severity,
                created_at=escalation.created_at,
                client_name=escalation.client.display_name if escalation.client else "",
                **labels,
            )
        )
    return loop_rows, rows


@pytest.mark.parametrize("language", ["en", "id"])
def test_the_risk_queue_rows_tag_prints_what_the_template_loop_printed(language):
    loop_rows, rows = _rows()
    with translation.override(language):
        expected = Template(ROWS_LOOP).render(Context({"rows": loop_rows}))
        made = Template(ROWS_TAG).render(Context({"rows": rows}))
    assert made == expected
    assert made.count("<tr>") == 17
    assert ("tahun" if language == "id" else "year") in made
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in made and "<b>" not in made
    assert "&lt;&quot;odd&quot; &amp; rung&gt;" in made


def test_no_rows_print_nothing():
    assert Template(ROWS_TAG).render(Context({"rows": []})) == Template(ROWS_LOOP).render(Context({"rows": []}))
