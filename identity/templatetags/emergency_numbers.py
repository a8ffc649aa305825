"""Emergency numbers in templates.

`{% emergency_numbers_lookup country region as numbers %}` lets the emergency-numbers partial render
on any page, even one whose view did not look the numbers up (the transparency page).
`{% dial "119" "8" %}` writes a number named in running text as a link built by identity.dialing,
so prose and lists dial alike; it needs no database (the 500 page uses it).
"""

from django import template

from identity.dialing import dial_link
from identity.numbers import emergency_numbers_for

register = template.Library()


@register.simple_tag
def emergency_numbers_lookup(country: str = "ID", region: str = ""):
    return emergency_numbers_for(country=country or "ID", region=region or "")


@register.simple_tag
def dial(number: str, extension: str = ""):
    return dial_link(number=number, extension=extension)
