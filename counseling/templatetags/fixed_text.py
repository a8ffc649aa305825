"""`{% fixed "name" %}...{% endfixed %}`: a part of a template whose output depends only on the active language and
the URLs (translations, `{% url %}`, `{% static %}`, no variable of the page), rendered once per language and URL
configuration and kept.

base.html renders on every page: its menus are ~20 `{% url %}` and ~30 `{% translate %}` tags, and the footer's
emergency sentence five links, the same for everyone of a role in a language. Keeping their text spares ~1 ms of
rendering a page. What differs per person or request (the CSRF tokens, the unread count, the current path, the
child templates' blocks, which role's menu) stays outside the fixed parts, which hold the text between them;
SITE_NAME, a setting, may be inside. The output is the same as without the tag
(tests/counseling/test_fixed_text.py).
"""

from __future__ import annotations

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.loader_tags import BlockNode
from django.urls import get_script_prefix, get_urlconf
from django.utils.translation import get_language

register = template.Library()

_KEPT: dict[tuple, str] = {}
# Languages x URL configurations x script prefixes x parts: a handful; a bound in case a prefix varies.
_MAX_KEPT = 512


@receiver(setting_changed)
def _forget(**kwargs) -> None:
    # A test that changes the URLs, languages or static storage must not read the text made before it.
    _KEPT.clear()


class FixedNode(template.Node):
    # Its parts are not walked for blocks: `{% extends %}` looks for the layout's blocks through the whole node tree on
    # every render, and most of base.html's nodes are in fixed parts, which hold no block (refused by `fixed`).
    child_nodelists = ()

    def __init__(self, name: str, nodelist: template.NodeList):
        self.name = name
        self.nodelist = nodelist

    def render(self, context) -> str:
        key = (self.name, get_language(), get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())
        text = _KEPT.get(key)
        if text is None:
            text = self.nodelist.render(context)
            if len(_KEPT) >= _MAX_KEPT:
                _KEPT.clear()
            _KEPT[key] = text
        return text


@register.tag
def fixed(parser, token):
    bits = token.split_contents()
    if len(bits) != 2 or bits[1][0] not in "\"'" or bits[1][0] != bits[1][-1]:
        raise template.TemplateSyntaxError('{% fixed %} takes one quoted name: {% fixed "name" %}')
    nodelist = parser.parse(("endfixed",))
    parser.delete_first_token()
    if nodelist.get_nodes_by_type(BlockNode):
        # A child template's block would be rendered once and kept for every page.
        raise template.TemplateSyntaxError("{% fixed %} cannot hold a {% block %}")
    return FixedNode(bits[1][1:-1], nodelist)
