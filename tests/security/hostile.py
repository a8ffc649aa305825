"""Shared strategies and checks of the hostile-input tests (not a test module: no test_ prefix)."""

from __future__ import annotations

from django.apps import apps
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Small on purpose: the whole module must run in well under a minute on two busy cores.
BOUNDED = settings(
    max_examples=8,
    deadline=None,
    database=None,
    derandomize=True,
    report_multiple_bugs=False,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(2)>'
SPECIALS = [
    SCRIPT,
    IMG,
    "'; DROP TABLE counseling_user; --",
    "' OR '1'='1",
    "1; SELECT pg_sleep(5)--",
    "../../../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "\x00",
    "a\x00b",
    "\u202egnp.exe",
    "\ufeff",
    "{{ 7*7 }}",
    "{% debug %}",
    "%s%s%n",
    "${jndi:ldap://x}",
    "-1",
    "0",
    "99999999999999999999999",
    "1e309",
    "NaN",
    "2026-02-30",
    "9999-12-31",
    "0000-00-00",
    # Issue 21: "²" passes str.isdigit but not int(); years 1 and 9999 overflow once converted or added to.
    "\u00b2",
    "\u0661\u0662",
    "0001-01-01T00:00:00+05:00",
    "9999-12-31T23:59:59-05:00",
    "ID-\x00JK",
    "true",
    "null",
    "[]",
    "{}",
    " ",
    "\r\n",
    "😀" * 200,
    "A" * 70_000,
]

# The apps whose tables hold what people write. Audit entries, sessions and rate-limit rows are not counted:
# recording a refused attempt is allowed (and sometimes required).
DOMAIN_APPS = ("consent", "counseling", "licensing", "counseling_sessions")
NOT_COUNTED = {"auditentry", "auditchainhead"}


def hostile_text() -> st.SearchStrategy[str]:
    """Random and oversized strings, HTML and script, SQL-looking text, control characters (no surrogates:
    a browser cannot send them in a form; see the raw-bytes test for invalid UTF-8)."""
    return st.one_of(
        st.sampled_from(SPECIALS),
        st.text(max_size=80),
        st.builds(lambda a, b: a + SCRIPT + b, st.text(max_size=10), st.text(max_size=10)),
        st.integers(min_value=-(10**30), max_value=10**30).map(str),
    )


def hostile_value() -> st.SearchStrategy:
    """A form value: one string, or several (a field sent twice), the wrong type for most fields."""
    return st.one_of(hostile_text(), st.lists(hostile_text(), min_size=2, max_size=3))


def hostile_form(fields: list[str], extra: dict | None = None) -> st.SearchStrategy[dict]:
    """A POST body: any subset of the form's fields with hostile values, plus a stray field now and then."""
    optional = {name: hostile_value() for name in fields if name not in (extra or {})}
    optional["stray_field_" + "x" * 20] = hostile_text()
    return st.fixed_dictionaries(extra or {}, optional=optional)


def row_counts() -> dict[str, int]:
    counts = {}
    for model in apps.get_models():
        meta = model._meta
        if meta.app_label in DOMAIN_APPS and meta.model_name not in NOT_COUNTED and not meta.proxy and meta.managed:
            counts[meta.label_lower] = model._base_manager.count()
    return counts


def assert_escaped(content: bytes) -> None:
    """Hostile text is shown as text: the tags we sent never appear as markup."""
    assert SCRIPT.encode() not in content, "a <script> sent in a form came back unescaped"
    assert b"<img src=x onerror" not in content, "an <img onerror> sent in a form came back unescaped"


def changed(before: dict, after: dict) -> dict:
    return {key: (before.get(key), after.get(key)) for key in after if before.get(key) != after.get(key)}
