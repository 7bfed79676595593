"""Publishing: the one way an event enters the hub, whatever its type.

`publish_event(event_type, subject)` publishes one event about a domain object to the
webhooks its type selects (webhooks.event_types); `publish()` and `publish_batch()` take a
ready payload and the webhooks (push messages, test events).

In the caller's transaction it writes the Event (the outbox) and one Delivery per
webhook, and announces the deliveries that are due (webhooks.queueing: the workers hear of
them at commit), so a rolled-back change sends nothing and a committed one is never lost
(the due-time poller and the sweep find it even if the announcement is lost).

Each webhook's receiver-friendly options decide when its delivery is first due:
- `delay_s`: every message goes out that much later;
- `throttle_s` (now-playing): at most one message per window; an unsent message is
  superseded by a newer one, which takes its slot (the latest track wins);
- `debounce_s` (push): an update waits out the window, and a newer update of the same
  object (same `coalesce_key`) supersedes it while unsent, keeping its slot.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from stations.actors import Actor, current_actor
from stations.models import Station
from webhooks.choices import DeliveryStatus
from webhooks.event_types import EventType
from webhooks.inserts import insert_all
from webhooks.models import Delivery, Event, Webhook, unleased_at
from webhooks.payloads import encode_body
from webhooks.queueing import announce_due_deliveries
from webhooks.selectors import webhooks_for

__all__ = [
    "Draft",
    "caused_by_inbound_request",
    "publish",
    "publish_batch",
    "publish_event",
    "subscribers",
]

_inbound_request: ContextVar[int | None] = ContextVar("stationhooks_inbound", default=None)


@contextmanager
def caused_by_inbound_request(request_id: int) -> Iterator[None]:
    """Events published inside the block record that the inbound request `request_id`
    caused them (Event.inbound_request): the gateway's processing of a request."""
    token = _inbound_request.set(request_id)
    try:
        yield
    finally:
        _inbound_request.reset(token)


def _supersede(delivery: Delivery | None, now: datetime) -> bool:
    """Retire an unsent delivery in favour of a newer message; False if a worker has
    claimed it meanwhile (it is going out as it is)."""
    if delivery is None:
        return False
    return bool(
        Delivery.objects.filter(
            unleased_at(now),
            pk=delivery.pk,
            status=DeliveryStatus.PENDING,
            attempt_count=0,
        ).update(
            status=DeliveryStatus.SUPERSEDED,
            next_attempt_at=None,
            finished_at=now,
            updated_at=now,
        )
    )


def _first_due(webhook: Webhook, now: datetime, coalesce_key: str) -> datetime:
    """When this webhook's delivery of a new message is first due (see module docstring)."""
    due = now + timedelta(seconds=webhook.delay_s)
    if webhook.throttle_s:
        last = (
            webhook.deliveries.exclude(status=DeliveryStatus.SUPERSEDED)
            .order_by("-scheduled_at")
            .first()
        )
        unsent = last if last and last.status == DeliveryStatus.PENDING else None
        if unsent and unsent.attempt_count == 0 and _supersede(unsent, now):
            return unsent.scheduled_at
        if last:
            return max(due, last.scheduled_at + timedelta(seconds=webhook.throttle_s))
    elif webhook.debounce_s and coalesce_key:
        unsent = (
            webhook.deliveries.filter(
                status=DeliveryStatus.PENDING, attempt_count=0, coalesce_key=coalesce_key
            )
            .order_by("-scheduled_at")
            .first()
        )
        if _supersede(unsent, now):
            return unsent.scheduled_at
        return due + timedelta(seconds=webhook.debounce_s)
    return due


@dataclass(frozen=True)
class Draft:
    """One event to publish: what publish() takes, for publishing many at once. `body`,
    when given, is sent instead of the payload's encoding: a relayed request's own text."""

    station_id: int
    event_type: str
    payload: dict[str, Any] | None
    webhooks: list[Webhook]
    actor: Actor
    job_id: int | None = None
    model_id: int | None = None
    coalesce_key: str = ""
    is_test: bool = False
    body: str | None = None


def publish_batch(drafts: Iterable[Draft], *, queue_work: bool = True) -> list[Event]:
    """Write many events and their deliveries with two inserts (plus the pacing look-ups
    of webhooks that throttle or debounce). Drafts without webhooks are skipped. Returns
    the events written, in order."""
    drafts = [d for d in drafts if d.webhooks]
    if not drafts:
        return []
    now = timezone.now()
    inbound_request_id = _inbound_request.get()
    with transaction.atomic(savepoint=False):
        paced = {w.pk for d in drafts for w in d.webhooks if w.throttle_s or w.debounce_s}
        if paced:  # one publisher at a time per paced webhook, so supersession is exact
            list(Webhook.objects.select_for_update().filter(pk__in=paced).values_list("pk"))
        events = [
            Event(
                station_id=d.station_id,
                event_type=d.event_type,
                body=encode_body(d.payload) if d.body is None else d.body,
                job_id=d.job_id,
                model_id=d.model_id,
                is_test=d.is_test,
                actor_user_id=d.actor.user_id,
                actor_api_key_id=d.actor.api_key_id,
                inbound_request_id=inbound_request_id,
            )
            for d in drafts
        ]
        insert_all(events)
        deliveries = []
        for draft, event in zip(drafts, events, strict=True):
            for webhook in draft.webhooks:
                due = now if draft.is_test else _first_due(webhook, now, draft.coalesce_key)
                deliveries.append(
                    Delivery(
                        event_id=event.pk,
                        webhook_id=webhook.pk,
                        station_id=draft.station_id,
                        event_type=draft.event_type,
                        scheduled_at=due,
                        next_attempt_at=due,
                        coalesce_key=draft.coalesce_key if webhook.debounce_s else "",
                    )
                )
        insert_all(deliveries)
        if queue_work and any(d.next_attempt_at <= now for d in deliveries):
            announce_due_deliveries()
    return events


def publish(
    *,
    station: Station,
    event_type: str,
    payload: dict[str, Any],
    webhooks: Iterable[Webhook],
    actor: Actor | None = None,
    job_id: int | None = None,
    model_id: int | None = None,
    coalesce_key: str = "",
    is_test: bool = False,
    queue_work: bool = True,
) -> Event | None:
    """Write the event and its deliveries to `webhooks`; None when there is no webhook.

    `actor` defaults to whoever the current context acts as (stations.actors).
    `coalesce_key` names the object a push update is about, for debouncing webhooks.
    Test events (`is_test`) are due at once, whatever the webhook's pacing options.
    With `queue_work=False` the caller sends the deliveries itself (the admin's
    "send test event" does, to show the answer at once)."""
    draft = Draft(
        station_id=station.pk,
        event_type=event_type,
        payload=payload,
        webhooks=list(webhooks),
        actor=actor or current_actor(),
        job_id=job_id,
        model_id=model_id,
        coalesce_key=coalesce_key,
        is_test=is_test,
    )
    events = publish_batch([draft], queue_work=queue_work)
    return events[0] if events else None


def subscribers(event_type: EventType, subject: Any) -> list[Webhook]:
    """The webhooks an event about `subject` goes to: its station's enabled webhooks of
    the type that the type accepts for it."""
    return [
        webhook
        for webhook in webhooks_for(subject.station_id, event_type.name)
        if event_type.accepts(webhook, subject)
    ]


def publish_event(
    event_type: EventType,
    subject: Any,
    *,
    webhooks: Iterable[Webhook] | None = None,
    actor: Actor | None = None,
    is_test: bool = False,
    queue_work: bool = True,
    body: str | None = None,
) -> Event | None:
    """Publish one event about `subject`, its body built by the type (or `body` as it
    is: a relayed request's text), to its `subscribers` (or to `webhooks`); None when
    there is no webhook. See publish()."""
    draft = Draft(
        station_id=subject.station_id,
        event_type=event_type.name,
        payload=event_type.build(subject) if body is None else None,
        body=body,
        webhooks=list(subscribers(event_type, subject) if webhooks is None else webhooks),
        actor=actor or current_actor(),
        coalesce_key=event_type.coalesce_key(subject),
        is_test=is_test,
    )
    events = publish_batch([draft], queue_work=queue_work)
    return events[0] if events else None
