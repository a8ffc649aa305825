"""The caseload's rows and the notes to sign, made by template tags (dashboards/templatetags/caseload_tags.py),
print exactly what the template's loops printed before: the loops are kept here as the reference."""

from datetime import UTC, datetime, timedelta

import pytest
from django.template import Context, Template
from django.utils import translation

from counseling.gates import GateResult
from dashboards.selectors import CaseloadRow

CASELOAD_LOOP = """{% load i18n tz date_labels %}{% timezone zone %}
  {% for row in rows %}
    <tr class="caseload-row{% if row.client.open_risk_flags %} has-risk{% endif %}">
      <td><a href="{% url 'sessions:caseload_client' row.client.pk %}">{{ row.client.display_name }}</a></td>
      <td>{% if row.client.next_session_at %}<a href="{% url 'sessions:session_detail' row.client.next_session_id %}">{{ row.client.next_session_at|date:"D j M, H:i" }}</a>{% else %}—{% endif %}</td>
      <td>{% if row.client.unread_count %}<span class="badge warn">{{ row.client.unread_count }}</span>{% else %}0{% endif %}</td>
      <td>{% if row.client.open_risk_flags %}<span class="badge bad">{{ row.client.open_risk_flags }}</span>{% else %}0{% endif %}</td>
      <td>{% if row.consent.allowed %}<span class="badge ok">{% translate "current" %}</span>{% else %}<span class="badge bad" title="{{ row.consent.message }}">{% translate "missing" %}</span>{% endif %}</td>
      <td>{% if row.identity.allowed %}<span class="badge ok">{% translate "verified" %}</span>{% else %}<span class="badge bad" title="{{ row.identity.message }}">{% translate "not verified" %}</span>{% endif %}</td>
      <td>{% if row.client.last_contact %}{{ row.client.last_contact|date:"j M Y" }}{% else %}—{% endif %}</td>
    </tr>
  {% endfor %}
  {% endtimezone %}"""  # noqa: E501

CASELOAD_TAG = """{% load caseload_tags tz %}{% timezone zone %}
    {% caseload_rows rows %}
  {% endtimezone %}"""

NOTES_LOOP = """{% load i18n tz %}<ul>{% timezone zone %}{% for row in rows %}
    <li><a href="{% url 'clinical:session_note' row.session_id %}">{{ row.starts_at|date:"D j M, H:i" }} · {{ row.client_name }}</a>
      · {% if row.draft %}{% translate "draft" %}{% else %}{% translate "not written" %}{% endif %}
      · {% if row.overdue %}<span class="badge bad">{% translate "overdue since" %} {{ row.due_at|date:"j M, H:i" }}</span>{% else %}{% translate "due" %} {{ row.due_at|date:"j M, H:i" }}{% endif %}</li>
  {% endfor %}{% endtimezone %}</ul>"""  # noqa: E501

NOTES_TAG = """{% load caseload_tags tz %}<ul>{% timezone zone %}{% notes_due_rows rows %}{% endtimezone %}</ul>"""

AT = datetime(2026, 12, 31, 20, 30, tzinfo=UTC)


def _lines(html: str) -> list[str]:
    return [line.rstrip() for line in html.splitlines() if line.strip()]


def _caseload_rows():
    rows = []
    for i in range(12):
        client = CaseloadRow(
            pk=100 + i,
            role="client",
            display_name=['Ann <b>&</b> "Bo"', "Budi", "Citra's"][i % 3],
            next_session_at=AT + timedelta(hours=5 * i) if i % 2 else None,
            next_session_id=500 + i,
            unread_count=i % 3 * 1000,
            open_risk_flags=i % 4,
            last_contact=AT - timedelta(days=i, hours=3 * i) if i % 4 else None,
        )
        consent = GateResult.ok() if i % 3 else GateResult.refuse("consent_missing", "Read <the> terms & accept")
        identity = GateResult.ok() if i % 5 else GateResult.refuse("identity_unverified", 'Upload "an" ID')
        rows.append({"client": client, "consent": consent, "identity": identity})
    return rows


def _notes_rows():
    return [
        {
            "session_id": 700 + i,
            "starts_at": AT - timedelta(hours=9 * i),
            "client_name": ['<i>Dewi</i> & "Eko"', "Fajar"][i % 2],
            "due_at": AT + timedelta(hours=11 * i - 40),
            "overdue": i % 2 == 0,
            "draft": i % 3 == 0,
        }
        for i in range(8)
    ]


@pytest.mark.parametrize("language", ["en", "id"])
@pytest.mark.parametrize("zone", ["Asia/Jakarta", "America/Los_Angeles"])
def test_the_caseload_rows_tag_prints_what_the_template_loop_printed(language, zone):
    context = {"rows": _caseload_rows(), "zone": zone}
    with translation.override(language):
        expected = Template(CASELOAD_LOOP).render(Context(context))
        made = Template(CASELOAD_TAG).render(Context(context))
    assert _lines(made) == _lines(expected)
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in made and "<b>" not in made


@pytest.mark.parametrize("language", ["en", "id"])
@pytest.mark.parametrize("zone", ["Asia/Jakarta", "America/Los_Angeles"])
def test_the_notes_rows_tag_prints_what_the_template_loop_printed(language, zone):
    context = {"rows": _notes_rows(), "zone": zone}
    with translation.override(language):
        expected = Template(NOTES_LOOP).render(Context(context))
        made = Template(NOTES_TAG).render(Context(context))
    assert made == expected
    assert "&lt;i&gt;Dewi&lt;/i&gt;" in made and "<i>" not in made
