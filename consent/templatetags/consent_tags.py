from django import template

from consent.selectors import consent_status_for_client

register = template.Library()


@register.simple_tag
def consent_status(user) -> dict:
    """The client's consent status for any page (the dashboard includes consent/_dashboard_status.html)."""
    return consent_status_for_client(client=user)
