"""Shared steps for delivery tests: publish like the product does, drain like a worker."""

from datetime import UTC, datetime

from webhooks import engine
from webhooks.event_types import NEWTRACK
from webhooks.models import Delivery
from webhooks.payloads import newtrack_event
from webhooks.publish import publish

TRACK_PAYLOAD = newtrack_event(
    timestamp=datetime(2026, 1, 26, 14, 30, tzinfo=UTC),
    station_id="sta_abc123",
    station_name="Radio Example",
    track_id="med_xyz789",
    title="Hey Jude",
    artist="The Beatles",
    album="Past Masters",
    duration=431,
)


def publish_track(webhook, capture_on_commit) -> Delivery:
    """Publish a newtrack event to `webhook` and run the after-commit queueing (the test
    settings run django-q2 tasks synchronously, so the first attempt happens here)."""
    with capture_on_commit(execute=True):
        event = publish(
            station=webhook.station,
            event_type=NEWTRACK.name,
            payload=TRACK_PAYLOAD,
            webhooks=[webhook],
        )
    return event.deliveries.get()


def publish_track_unqueued(webhook):
    """Publish without queueing, as if the after-commit queueing were lost: only the
    engine's own due-time dispatch (poller, sweep, drain) can send it."""
    return publish(
        station=webhook.station,
        event_type=NEWTRACK.name,
        payload=TRACK_PAYLOAD,
        webhooks=[webhook],
        queue_work=False,
    )


def drain_until_settled(max_rounds: int = 10) -> None:
    """What the due-time poller does in a worker, with retry delays of 0 in the test."""
    for _ in range(max_rounds):
        if not engine.drain_due_deliveries():
            return
