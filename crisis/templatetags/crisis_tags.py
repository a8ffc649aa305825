from django import template

from crisis.selectors import roster_gaps

register = template.Library()


@register.simple_tag
def roster_gaps_now() -> list[str]:
    """The on-call roster roles nobody covers now (for the staff dashboard's warning)."""
    return roster_gaps()
