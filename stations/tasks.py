"""django-q2 entry points for station data, kept thin; periodic ones declare their
schedule here (config.periodic)."""

from config.periodic import periodic
from stations import monitor

__all__ = ["run_stream_monitor"]


@periodic("Check monitored streams", minutes=1)
def run_stream_monitor() -> str:
    """Check the streams that are due (each once per STREAM_MONITOR_INTERVAL_S)."""
    run = monitor.run_stream_monitor()
    return f"{run.checked} checked, {run.down} down, {run.pruned} pruned"
