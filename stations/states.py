"""How a state reads on every page of the hub: one tone per state (a delivery's status, a
stream's state, an outcome in the charts), so the same word looks the same everywhere.

The badge is a class, never an inline style, so pages stay within the Content-Security-
Policy; the colours live in the admin's stylesheet (`stationhooks/admin.css`), except the
charts' fills, which are SVG attributes.
"""

from django.utils.html import format_html
from django.utils.safestring import SafeString

__all__ = ["COLOURS", "NEUTRAL_COLOUR", "TONES", "badge", "colour_of", "tone_of"]

TONES = {
    "delivered": "good",
    "up": "good",
    "sent": "good",
    "accepted": "good",
    "processed": "good",
    "rejected": "bad",
    "duplicate": "info",
    "failed": "bad",
    "down": "bad",
    "silent": "bad",
    "pending": "waiting",
    "held": "waiting",
    "paused": "waiting",
    "retried": "retried",
    "test": "info",
}
TONE_COLOURS = {
    "good": "#2e7d32",
    "bad": "#c62828",
    "waiting": "#8a6d00",
    "retried": "#e0a800",
    "info": "#1565c0",
}
NEUTRAL_COLOUR = "#777"
COLOURS = {state: TONE_COLOURS[tone] for state, tone in TONES.items()}


def tone_of(label: str) -> str:
    return TONES.get(label, "neutral")


def colour_of(label: str) -> str:
    return COLOURS.get(label, NEUTRAL_COLOUR)


def badge(label: str | None, text: str | None = None) -> SafeString | str:
    """A state as a coloured pill (`text` instead of the label when given); "-" when
    there is none."""
    if not label:
        return "-"
    return format_html('<span class="sh-badge sh-tone-{}">{}</span>', tone_of(label), text or label)
