"""`{% sessions_to_locate_for user as sessions %}`: the client's coming sessions and where each stands on
location confirmation, for pages of lower apps (the intake overview) that must not import sessions."""

from django import template

from sessions.selectors import sessions_to_locate

register = template.Library()


@register.simple_tag
def sessions_to_locate_for(client):
    return sessions_to_locate(client=client)
