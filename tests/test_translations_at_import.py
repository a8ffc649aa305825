"""No text is translated when a module is imported: the module is imported once per process, in the language of
whichever request or task happened to load it first, so an eager gettext at module or class level freezes one
person's language for everyone (an Indonesian refusal once showed on English pages). Module- and class-level texts
use gettext_lazy; gettext belongs inside functions."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EAGER = {"gettext", "ngettext", "pgettext", "npgettext"}
SKIPPED_PARTS = {".venv", "tests", "migrations", "node_modules"}


def eager_names(tree: ast.Module) -> set[str]:
    return {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation"
        for alias in node.names
        if alias.name in EAGER
    }


def calls_at_import(node: ast.AST, names: set[str]):
    """Calls of `names` that run when the module is imported: anywhere but inside a function or lambda body
    (a default value and a decorator do run at import)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names:
        yield node
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
        children = [*node.args.defaults, *node.args.kw_defaults, *getattr(node, "decorator_list", [])]
    else:
        children = ast.iter_child_nodes(node)
    for child in children:
        if child is not None:
            yield from calls_at_import(child, names)


def test_no_text_is_translated_when_a_module_is_imported():
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        if SKIPPED_PARTS & set(path.relative_to(ROOT).parts):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = eager_names(tree)
        found += [f"{path.relative_to(ROOT)}:{call.lineno}" for call in calls_at_import(tree, names)] if names else []
    assert found == []


def test_the_check_finds_an_eager_text_at_module_and_class_level():
    source = (
        "from django.utils.translation import gettext as _\n"
        "TITLE = _('a')\n"
        "class Form:\n    label = _('b')\n"
        "def view(greeting=_('c')):\n    return _('inside a function: fine')\n"
    )
    tree = ast.parse(source)
    assert [call.lineno for call in calls_at_import(tree, eager_names(tree))] == [2, 4, 5]
