"""The 24-hour outcome chart of the dashboard and the webhook page, as plain geometry: the
templates only draw the rectangles."""

from dataclasses import dataclass

from stations.admin.display import colour_of

__all__ = ["OUTCOMES", "Bar", "bar_chart"]

OUTCOMES = ("delivered", "failed", "retried")


@dataclass(frozen=True)
class Bar:
    """One stacked segment of the chart, in SVG user units."""

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
