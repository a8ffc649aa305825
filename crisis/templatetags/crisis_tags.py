from django import template

register = template.Library()


@register.simple_tag
def roster_gaps_now() -> list[str]:
    """The on-call roster roles nobody covers now (for the staff dashboard's warning)."""
    from crisis.selectors import roster_gaps

    return roster_gaps()
