"""What every admin page of the hub shares: the colours of states and outcomes, the badge
that shows one, and the base of the read-only logs.

One palette for every state a page shows (a delivery's status, a stream's state, an
outcome in the charts), so the same word has the same colour everywhere.
"""

from django.contrib import admin
from django.utils.html import format_html
from django.utils.safestring import SafeString

__all__ = [
    "COLOURS",
    "NEUTRAL_COLOUR",
    "ReadOnlyAdminMixin",
    "ReadOnlyInline",
    "badge",
    "colour_of",
]

GOOD, BAD, WAITING, RETRIED = "#2e7d32", "#c62828", "#8a6d00", "#e0a800"
NEUTRAL_COLOUR = "#777"
COLOURS = {
    "delivered": GOOD,
    "up": GOOD,
    "failed": BAD,
    "down": BAD,
    "silent": BAD,
    "pending": WAITING,
    "held": BAD,
    "retried": RETRIED,
}


def colour_of(label: str) -> str:
    return COLOURS.get(label, NEUTRAL_COLOUR)


def badge(label: str | None) -> SafeString | str:
    """A state as a coloured word; "-" when there is none."""
    if not label:
        return "-"
    return format_html('<b style="color:{}">{}</b>', colour_of(label), label)


class ReadOnlyAdminMixin:
    """For logs the hub writes itself (deliveries, checks, plays, resync jobs): nothing to
    add or change in the admin. `deletable = False` forbids deleting rows too."""

    deletable = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.deletable and super().has_delete_permission(request, obj)


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    """A log shown inline: nothing to add, change or delete."""

    extra = 0
    deletable = False
