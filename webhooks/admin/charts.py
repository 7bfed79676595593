"""The charts of the dashboard and the webhook page, as data: the templates only place them.

The 24-hour chart is drawn by the theme's Chart.js from JSON in the canvas's data
attributes (no inline script); the sparklines are plain SVG rectangles.
"""

import json
from dataclasses import dataclass
from datetime import tzinfo

from stations.states import colour_of
from webhooks.stats import OUTCOMES

__all__ = ["LATENCY_LINES", "Bar", "bar_chart", "outcome_chart"]

# The latency lines of the 24-hour chart: the hourly key, its label, colour and dash.
LATENCY_LINES = (
    ("latency_p50_s", "p50 latency (s)", "#1565c0", []),
    ("latency_p95_s", "p95 latency (s)", "#6a1b9a", [6, 4]),
)


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
    retried stacked per hour on the left axis, labelled with the hour in `tz`, and the
    hour's p50 and p95 delivery latency as lines on a logarithmic axis of seconds on the
    right (the buckets span 50 ms to 30 min). An hour with nothing delivered has no
    latency: null, which Chart.js leaves as a gap in the line."""
    bars = [
        {
            "type": "bar",
            "label": outcome,
            "data": [hour[outcome] for hour in hourly],
            "backgroundColor": colour_of(outcome),
            "stack": "outcomes",
            "yAxisID": "y",
            "order": 2,
            "pointStyle": "rect",
        }
        for outcome in OUTCOMES
    ]
    lines = [
        {
            "type": "line",
            "label": label,
            "data": [hour[key] for hour in hourly],
            "borderColor": colour,
            "backgroundColor": colour,
            "borderDash": dash,
            "borderWidth": 2,
            "pointRadius": 3,
            "spanGaps": False,
            "yAxisID": "latency",
            "order": 1,
        }
        for key, label, colour, dash in LATENCY_LINES
    ]
    data = {
        "labels": [f"{hour['hour'].astimezone(tz):%H:%M}" for hour in hourly],
        "datasets": bars + lines,
    }
    options = {
        "responsive": True,
        "maintainAspectRatio": False,
        "animation": False,
        "interaction": {"mode": "index", "intersect": False},
        "plugins": {
            "legend": {
                "display": True,
                "position": "bottom",
                "labels": {"usePointStyle": True, "boxHeight": 8},  # squares: bars; dots: lines
            }
        },
        "scales": {
            "x": {"stacked": True, "grid": {"display": False}, "ticks": {"maxRotation": 0}},
            "y": {
                "stacked": True,
                "beginAtZero": True,
                "ticks": {"precision": 0},
                "title": {"display": True, "text": "deliveries"},
            },
            "latency": {
                "type": "logarithmic",
                "position": "right",
                "grid": {"drawOnChartArea": False},
                "ticks": {"format": {"minimumFractionDigits": 0, "maximumFractionDigits": 2}},
                "title": {"display": True, "text": "latency (s, log scale)"},
            },
        },
    }
    return {"data": json.dumps(data), "options": json.dumps(options)}
