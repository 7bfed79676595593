"""Template filters of the hub's admin pages (`{% load hub_admin %}`)."""

from django import template
from unfold.templatetags.unfold import changeform_condition

from stations import times
from stations.states import badge as state_badge

__all__ = ["badge", "changeform_condition_csp", "moment"]

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


@register.filter
def changeform_condition_csp(field):
    """unfold's `changeform_condition` (a field bound to the form's Alpine data, for
    conditional fields) without the inline `x-init` statements it gives related-object
    selects: Alpine's CSP build cannot run statements, and a plain select updates its
    `x-model` by itself."""
    field = changeform_condition(field)
    if not isinstance(field.field, dict):
        widget = field.field.field.widget
        for attrs in (widget.attrs, getattr(getattr(widget, "widget", None), "attrs", {})):
            attrs.pop("x-init", None)
    return field
