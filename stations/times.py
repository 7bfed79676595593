"""How the admin writes a moment: to the second, with its zone, and how long ago (or how
soon), so an operator never has to guess the zone or do the arithmetic."""

from datetime import datetime

from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timesince import timesince

__all__ = ["moment", "time_ago"]

JUST_NOW_S = 60


def time_ago(when: datetime, *, now: datetime | None = None) -> str:
    """ "3 minutes ago", or "in 2 minutes" for a time still to come."""
    now = now or timezone.now()
    if abs((now - when).total_seconds()) < JUST_NOW_S:
        return "just now"
    if when > now:
        return f"in {timesince(now, when, depth=1)}"
    return f"{timesince(when, now, depth=1)} ago"


def moment(when: datetime | None, *, zone=None) -> SafeString | str:
    """`2026-12-01 23:41:05 UTC` and, smaller, how long ago; "-" for no time. `zone`
    (a tzinfo) writes it in that zone instead of the server's (UTC)."""
    if when is None:
        return "-"
    local = timezone.localtime(when, zone)
    return format_html(
        '<span class="sh-nowrap">{}</span> <span class="sh-muted sh-small sh-nowrap">{}</span>',
        local.strftime("%Y-%m-%d %H:%M:%S %Z"),
        time_ago(when),
    )
