"""`{% emergency_numbers_lookup country region as numbers %}`: lets the emergency-numbers partial
render on any page, even one whose view did not look the numbers up (the transparency page)."""

from django import template

register = template.Library()


@register.simple_tag
def emergency_numbers_lookup(country: str = "ID", region: str = ""):
    from counseling.selectors import emergency_numbers_for

    return emergency_numbers_for(country=country or "ID", region=region or "")
