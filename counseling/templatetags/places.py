"""`{{ country|place:region }}`: a client's location as people read it (counseling.places.place_name)."""

from django import template

from counseling.places import place_name

register = template.Library()


@register.filter
def place(country, region=""):
    return place_name(country=country or "", region=region or "")
