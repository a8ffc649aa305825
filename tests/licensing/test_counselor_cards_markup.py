"""The directory's cards, made by a template tag (licensing/templatetags/licensing_tags.py: counselor_cards), print
exactly what the template's loop printed before, byte for byte: the loop is kept here as the reference."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.template import Context, Template
from django.utils import translation

from counseling.gates import GateResult

CARDS_LOOP = """{% load i18n tz licensing_tags %}
{% translate "Licensed in" as licensed_in %}{% translate "compact privilege" as compact_privilege %}{% translate "Languages" as languages_label %}{% translate "Time zone" as zone_label %}{% translate "Specialities" as specialities_label %}{% translate "View profile" as view_profile %}{% translate "Available where you are" as available %}{% translate "View profile and book" as view_and_book %}{% translate "Not available where you are" as not_available %}{% blocktranslate count days=horizon_days asvar no_free_time %}No free time in the next {{ days }} day{% plural %}No free time in the next {{ days }} days{% endblocktranslate %}
{% timezone zone %}
{% for entry in entries %}{% url 'licensing:counselor_profile' entry.counselor_id as profile_url %}
  <article class="card counselor-card" data-counselor="{{ entry.counselor_id }}">
    <h2><a href="{{ profile_url }}">{{ entry.profile.display_name }}</a></h2>
    <p>{{ entry.profile.professional_title }}</p>
    <p>{{ licensed_in }}:
      {% for licence in entry.licences %}{{ licence.jurisdiction.name }}{% if not forloop.last %}, {% endif %}{% endfor %}{% for privilege in entry.privileges %}, {{ privilege.jurisdiction.name }} ({{ compact_privilege }}){% endfor %}</p>
    <p>{{ languages_label }}: {% for code in entry.profile.language_codes %}{{ code|language_label }}{% if not forloop.last %}, {% endif %}{% endfor %} · {{ zone_label }}: {{ entry.profile.time_zone }}</p>
    {% if entry.profile.speciality_list %}<p>{{ specialities_label }}: {{ entry.profile.speciality_list|join:", " }}</p>{% endif %}
    <p class="next-free">{% if entry.next_free %}{% blocktranslate with when=entry.next_free|date:"D j M H:i" %}Next free time: {{ when }} ({{ zone }}){% endblocktranslate %}{% else %}{{ no_free_time }}{% endif %}</p>
    {% if entry.gate is None %}
      <p><a href="{{ profile_url }}">{{ view_profile }}</a></p>
    {% elif entry.bookable %}
      <p><span class="badge ok">{{ available }}</span>
        <a class="button" href="{{ profile_url }}">{{ view_and_book }}</a></p>
    {% else %}
      <p><span class="badge bad">{{ not_available }}</span> {{ entry.gate.message }}</p>
    {% endif %}
  </article>
{% endfor %}
{% endtimezone %}"""  # noqa: E501

CARDS_TAG = """{% load tz licensing_tags %}

{% timezone zone %}
{% counselor_cards entries zone horizon_days %}
{% endtimezone %}"""

AT = datetime(2026, 12, 31, 20, 30, tzinfo=UTC)


def _place(name: str):
    return SimpleNamespace(jurisdiction=SimpleNamespace(name=name))


def _entries():
    names = ['Ann <b>&</b> "Bo"', "Budi", "Citra's"]
    places = ["Indonesia", "DKI Jakarta", "<i>Bali</i>", "California & co"]
    languages = [["id", "en"], ["jv"], ["su", "xx<y>", "id"], []]
    specialities = [["Anxiety", "grief & <loss>"], [], ["Trauma"]]
    gates = [
        None,
        GateResult.ok(),
        GateResult.refuse("no_licence_there", 'This counselor holds no licence for <the> place & "where" you are.'),
    ]
    entries = []
    for i in range(14):
        profile = SimpleNamespace(
            display_name=names[i % 3],
            professional_title=["Psikolog Klinis", "Counselor <LPC>", ""][i % 3],
            language_codes=languages[i % 4],
            time_zone=["Asia/Jakarta", "America/Chicago"][i % 2],
            speciality_list=specialities[i % 3],
        )
        gate = gates[i % 3]
        entries.append(
            SimpleNamespace(
                counselor_id=10 + 997 * i,
                profile=profile,
                licences=[_place(places[(i + k) % 4]) for k in range(i % 3)],  # the loop's
                licence_places=[places[(i + k) % 4] for k in range(i % 3)],  # the tag's
                privileges=[_place(places[(i + k + 1) % 4]) for k in range(i % 2 + (i % 5 == 0))],
                next_free=AT + timedelta(hours=13 * i, minutes=30 * (i % 2)) if i % 4 else None,
                gate=gate,
                bookable=bool(gate),
            )
        )
    return entries


@pytest.mark.parametrize("language", ["en", "id"])
@pytest.mark.parametrize("zone", ["Asia/Jakarta", "America/Los_Angeles", "UTC"])
@pytest.mark.parametrize("horizon_days", [1, 14])
def test_the_counselor_cards_tag_prints_what_the_template_loop_printed(language, zone, horizon_days):
    context = {"entries": _entries(), "zone": zone, "horizon_days": horizon_days}
    with translation.override(language):
        expected = Template(CARDS_LOOP).render(Context(context))
        made = Template(CARDS_TAG).render(Context(context))
    assert made == expected
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in made and "<b>" not in made and "<i>" not in made
    assert made.count('<article class="card counselor-card"') == 14
