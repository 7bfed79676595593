"""django-q2 entry points for station data, kept thin."""

from stations import monitor

__all__ = ["run_stream_monitor"]


def run_stream_monitor() -> str:
    """The "Check monitored streams" schedule (every minute)."""
    run = monitor.run_stream_monitor()
    return f"{run.checked} checked, {run.down} down, {run.alerts} alerts, {run.pruned} pruned"
