"""Template filters of the hub's admin pages (`{% load hub_admin %}`)."""

from django import template

from stations.states import badge as state_badge

__all__ = ["badge"]

register = template.Library()


@register.filter
def badge(label: str | None):
    """`{{ delivery.status|badge }}`: the state as a coloured word."""
    return state_badge(label)
