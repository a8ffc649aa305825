"""`{{ country|place:region }}`: a client's location as people read it (licensing.places.place_name)."""

from django import template

from licensing.places import place_name

register = template.Library()


@register.filter
def place(country, region=""):
    return place_name(country=country or "", region=region or "")
