"""publish(): the one way an event enters the hub, whatever its family.

In the caller's transaction it writes the Event (the outbox) and one Delivery per
webhook; the work is queued only after commit, so a rolled-back change sends nothing and
a committed one is never lost (the sweep finds it even if the queueing itself is lost).
"""

from collections.abc import Iterable
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from stations.models import Station
from webhooks.choices import Trigger
from webhooks.models import Delivery, Event, Webhook
from webhooks.payloads import encode_body
from webhooks.tasks import queue_deliveries

__all__ = ["publish", "push_webhooks_for", "webhooks_for"]


def webhooks_for(station: Station, trigger: Trigger) -> QuerySet[Webhook]:
    return Webhook.objects.filter(station=station, trigger=trigger, enabled=True)


def push_webhooks_for(station: Station, model: str) -> list[Webhook]:
    return [w for w in webhooks_for(station, Trigger.PUSH) if w.watches(model)]


def publish(
    *,
    station: Station,
    event_type: Trigger,
    payload: dict[str, Any],
    webhooks: Iterable[Webhook],
    actor_user=None,
    job_id: int | None = None,
    model_id: int | None = None,
    is_test: bool = False,
    queue_after_commit: bool = True,
) -> Event | None:
    """Write the event and its deliveries to `webhooks`; None when there is no webhook.

    With `queue_after_commit=False` the caller sends the deliveries itself (the admin's
    "send test event" does, to show the answer at once)."""
    webhooks = list(webhooks)
    if not webhooks:
        return None
    now = timezone.now()
    event = Event.objects.create(
        station=station,
        type=event_type,
        body=encode_body(payload),
        job_id=job_id,
        model_id=model_id,
        is_test=is_test,
        actor_user=actor_user,
    )
    deliveries = Delivery.objects.bulk_create(
        Delivery(
            event=event,
            webhook=webhook,
            station=station,
            event_type=event_type,
            next_attempt_at=now,
        )
        for webhook in webhooks
    )
    if queue_after_commit:
        transaction.on_commit(partial(queue_deliveries, [d.pk for d in deliveries]))
    return event
