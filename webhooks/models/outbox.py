"""The outbox and its fan-out: Event -> Delivery (one per webhook) -> DeliveryAttempt (one
per try), as Svix and Saleor lay it out. A Delivery's `status` and `next_attempt_at` say
everything about its future; django-q2 only runs the work.
"""

import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q

from stations.models import Station
from webhooks import event_types
from webhooks.choices import DeliveryStatus
from webhooks.models.webhook import Webhook

__all__ = [
    "Delivery",
    "DeliveryAttempt",
    "Event",
    "JobCounter",
    "due_at",
    "new_message_id",
    "unleased_at",
]


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def unleased_at(now: datetime) -> Q:
    """Deliveries no worker holds at `now`: never leased, or their lease has run out."""
    return Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)


def due_at(now: datetime) -> Q:
    """Pending deliveries whose next attempt is due at `now` and that no worker holds."""
    return Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now) & unleased_at(now)


class Event(models.Model):
    """The outbox: one thing that happened at a station, with its body frozen as sent."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="events")
    event_type = models.CharField(max_length=40, choices=event_types.choices)
    body = models.TextField(help_text="The exact JSON bytes every delivery sends.")
    message_id = models.CharField(
        max_length=40, unique=True, default=new_message_id, help_text="Sent as webhook-id."
    )
    job_id = models.BigIntegerField(null=True, blank=True)
    model_id = models.BigIntegerField(null=True, blank=True)
    is_test = models.BooleanField(default=False)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    actor_api_key_id = models.BigIntegerField(
        null=True, blank=True, help_text="The API key that made the change, if any."
    )
    inbound_request = models.ForeignKey(
        "webhooks.InboundRequest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
        help_text="The inbound request (webhooks.gateway) whose processing raised it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["job_id"], name="event_job_id_idx"),
            models.Index(fields=["model_id"], name="event_model_id_idx"),
            models.Index(fields=["created_at"], name="event_created_idx"),
            models.Index(
                fields=["station", "event_type", "-created_at"], name="event_station_type_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.message_id}"


class Delivery(models.Model):
    """One event on its way to one webhook. `station` and `event_type` are copied from
    the event so the delivery log filters without a join."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    # Its own index would be redundant: the two station indexes below lead with it.
    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="+", db_index=False)
    event_type = models.CharField(max_length=40, choices=event_types.choices)
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempt_count = models.PositiveIntegerField(default=0)
    auto_retry = models.BooleanField(
        default=True, help_text="Off for an operator's redelivery: one attempt, no retries."
    )
    scheduled_at = models.DateTimeField(
        help_text="When the first attempt was due: publish time plus delay, debounce or "
        "throttle. Throttling and debouncing count from it."
    )
    coalesce_key = models.CharField(
        max_length=64,
        blank=True,
        help_text="Deliveries with the same key to a debouncing webhook merge while unsent.",
    )
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        indexes = [
            # The claim's look at what is due, oldest first (ties in id order: the order
            # they were published in).
            models.Index(
                fields=["next_attempt_at", "id"],
                name="delivery_due_idx",
                condition=Q(status=DeliveryStatus.PENDING),
            ),
            models.Index(fields=["-created_at"], name="delivery_created_idx"),
            models.Index(fields=["status", "-created_at"], name="delivery_status_created_idx"),
            models.Index(fields=["station", "-created_at"], name="delivery_station_created_idx"),
            # A station operator's log filtered by status, and its count (index only).
            models.Index(
                fields=["station", "status", "-created_at"], name="delivery_station_status_idx"
            ),
            # A webhook's latest deliveries: its log, and the status of its last delivery
            # in the webhook list, read from the index alone. (With a heap fetch per row
            # the planner prefers walking delivery_created_idx for it, through the whole
            # log for a webhook without deliveries.)
            models.Index(
                fields=["webhook", "-created_at"],
                include=["status"],
                name="delivery_webhook_created_idx",
            ),
            # A webhook's latest error (the dashboard's failing webhooks), however old.
            models.Index(
                fields=["webhook", "-created_at"],
                name="delivery_webhook_error_idx",
                condition=~Q(last_error=""),
            ),
            models.Index(
                fields=["webhook", "coalesce_key"],
                name="delivery_unsent_idx",
                condition=Q(status=DeliveryStatus.PENDING, attempt_count=0),
            ),
            # A webhook's pending deliveries by due time: what its breaker holds and lets go.
            models.Index(
                fields=["webhook", "next_attempt_at"],
                name="delivery_pending_webhook_idx",
                condition=Q(status=DeliveryStatus.PENDING),
            ),
            # The deliveries in flight (leased), per webhook: the claim's in-flight caps.
            models.Index(
                fields=["lease_expires_at"],
                include=["webhook"],
                name="delivery_leased_idx",
                condition=Q(status=DeliveryStatus.PENDING, lease_expires_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"Delivery #{self.pk}: {self.event_type} to {self.webhook}"


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    manual = models.BooleanField(default=False)
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField()
    request_headers = models.JSONField(default=dict)
    request = models.JSONField(
        null=True,
        blank=True,
        help_text="The request line and body as sent (secrets masked) when the webhook's "
        "format made them; none for the native format, which POSTs the event's body.",
    )
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_headers = models.JSONField(default=dict)
    response_body = models.TextField(blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"Attempt {self.number}"


class JobCounter(models.Model):
    """The last push `job_id` handed out per station. Taking the next one locks the row
    until commit, so job_ids are unique and increase in commit order."""

    station = models.OneToOneField(
        Station, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    last_job_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"Station {self.station_id}: job {self.last_job_id}"
