"""The charts of the dashboard and the webhook page, as data: the templates only place them.

The 24-hour chart is drawn by the theme's Chart.js from JSON in the canvas's data
attributes (no inline script); the sparklines are plain SVG rectangles.
"""

import json
from dataclasses import dataclass
from datetime import tzinfo

from stations.states import colour_of
from webhooks.stats import OUTCOMES

__all__ = ["Bar", "bar_chart", "outcome_chart"]


@dataclass(frozen=True)
class Bar:
    """One stacked segment of a sparkline, in SVG user units."""

    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str


def bar_chart(hourly: list[dict], *, width: float, height: float) -> list[Bar]:
    """Stacked bars (delivered, failed, retried) per hour, scaled to the busiest hour."""
    slot = width / max(len(hourly), 1)
    peak = max((sum(h[outcome] for outcome in OUTCOMES) for h in hourly), default=0) or 1
    bars = []
    for n, hour in enumerate(hourly):
        top = height
        for outcome in OUTCOMES:
            count = hour[outcome]
            if not count:
                continue
            size = height * count / peak
            top -= size
            bars.append(
                Bar(
                    x=n * slot + slot * 0.1,
                    y=top,
                    width=slot * 0.8,
                    height=size,
                    colour=colour_of(outcome),
                    title=f"{hour['hour']:%H}:00 UTC: {count} {outcome}",
                )
            )
    return bars


def outcome_chart(hourly: list[dict], *, tz: tzinfo) -> dict[str, str]:
    """Chart.js `data` and `options` (as JSON) of the 24-hour chart: delivered, failed and
    retried stacked per hour, labelled with the hour in `tz`."""
    data = {
        "labels": [f"{hour['hour'].astimezone(tz):%H:%M}" for hour in hourly],
        "datasets": [
            {
                "type": "bar",
                "label": outcome,
                "data": [hour[outcome] for hour in hourly],
                "backgroundColor": colour_of(outcome),
                "stack": "outcomes",
                "yAxisID": "y",
                "order": 2,
            }
            for outcome in OUTCOMES
        ],
    }
    options = {
        "responsive": True,
        "maintainAspectRatio": False,
        "animation": False,
        "interaction": {"mode": "index", "intersect": False},
        "plugins": {"legend": {"display": True, "position": "bottom"}},
        "scales": {
            "x": {"stacked": True, "grid": {"display": False}, "ticks": {"maxRotation": 0}},
            "y": {
                "stacked": True,
                "beginAtZero": True,
                "ticks": {"precision": 0},
                "title": {"display": True, "text": "deliveries"},
            },
        },
    }
    return {"data": json.dumps(data), "options": json.dumps(options)}
