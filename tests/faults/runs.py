"""Steps the fault tests share: publish many messages, wait for them, report the run."""

from stations.actors import current_actor
from tests.webhook_helpers import TRACK_PAYLOAD
from webhooks.choices import DeliveryStatus
from webhooks.event_types import NEWTRACK
from webhooks.models import Delivery
from webhooks.publish import Draft, publish_batch

__all__ = ["TERMINAL", "print_summary", "publish_tracks_unqueued", "unfinished"]

TERMINAL = (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED)


def publish_tracks_unqueued(webhook, count: int) -> list[str]:
    """Publish `count` newtrack messages to `webhook` in one transaction, without queueing
    them: only the cluster's own dispatch (poller, sweep) can find them. Returns their
    webhook-ids, in publishing order."""
    events = publish_batch(
        [
            Draft(
                station_id=webhook.station_id,
                event_type=NEWTRACK.name,
                payload=TRACK_PAYLOAD,
                webhooks=[webhook],
                actor=current_actor(),
            )
            for _ in range(count)
        ],
        queue_work=False,
    )
    return [event.message_id for event in events]


def unfinished() -> int:
    return Delivery.objects.exclude(status__in=TERMINAL).count()


def print_summary(
    fault: str, *, deliveries: int, attempts: int, lost: int, duplicates: int, **extra
) -> None:
    """The one line each fault test prints (shown with `pytest -s`)."""
    details = "".join(f" {name}={value}" for name, value in extra.items())
    print(
        f"\nfault={fault} deliveries={deliveries} attempts={attempts} lost={lost} "
        f"duplicates={duplicates}{details}"
    )
