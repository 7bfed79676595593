"""Template filters of the hub's admin pages (`{% load hub_admin %}`)."""

from django import template

from stations import times
from stations.states import badge as state_badge

__all__ = ["badge", "moment"]

register = template.Library()


@register.filter
def badge(label: str | None, text=None):
    """`{{ delivery.status|badge }}`: the state as a coloured pill;
    `{{ "delivered"|badge:200 }}` shows 200 in the colour of "delivered"."""
    return state_badge(label, None if text is None else str(text))


@register.filter
def moment(when):
    """`{{ delivery.created_at|moment }}`: to the second, with the zone and the age."""
    return times.moment(when)
