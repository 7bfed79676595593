"""Webhook endpoints, the outbox of events, deliveries and their attempts.

Event -> Delivery (one per webhook) -> DeliveryAttempt (one per try), as Svix and Saleor
lay it out. A Delivery's `status` and `next_attempt_at` say everything about its future;
django-q2 only runs the work.
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, JSONField, Q

from stations.choices import PushModel
from stations.models import Station, Stream
from webhooks.breaker import Breaker
from webhooks.choices import AlertCondition, DeliveryStatus, Trigger
from webhooks.encryption import EncryptedTextField
from webhooks.signing import generate_secret, mask_secret
from webhooks.targets import validate_target_url

__all__ = [
    "ACTIVE_RESYNC_STATUSES",
    "AlertPolicy",
    "AlertState",
    "Delivery",
    "DeliveryAttempt",
    "DeliveryStat",
    "EngineCounter",
    "Event",
    "JobCounter",
    "ResyncJob",
    "Webhook",
]


def new_message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


class Webhook(models.Model):
    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="webhooks")
    name = models.CharField(max_length=200)
    url = models.URLField(max_length=2000, verbose_name="URL")
    trigger = models.CharField(max_length=40, choices=Trigger.choices)
    enabled = models.BooleanField(default=True)
    secret = EncryptedTextField(
        blank=True,
        default=generate_secret,
        help_text="Signs each request (X-Webhook-Signature and webhook-signature). "
        "Leave empty to send unsigned requests. Encrypted at rest.",
    )
    previous_secret = EncryptedTextField(
        blank=True,
        editable=False,
        help_text="The secret before the last rotation; webhook-signature carries a "
        "signature with it too until previous_secret_expires_at.",
    )
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    key = EncryptedTextField(blank=True, help_text="Sent as the api-key header when set.")
    ENCRYPTED_FIELDS = ("secret", "previous_secret", "key")
    delay_s = models.PositiveIntegerField(
        "delay (s)",
        default=0,
        help_text="Send every message this many seconds late "
        "(now-playing metadata often runs ahead of the audio listeners hear).",
    )
    throttle_s = models.PositiveIntegerField(
        "throttle (s)",
        default=0,
        help_text="Now-playing: at most one message every N seconds; the latest track wins.",
    )
    debounce_s = models.PositiveIntegerField(
        "debounce (s)",
        default=0,
        help_text="Push: updates of the same object within N seconds go out as one update "
        "(the latest job_id). Creates and deletes are never held back or merged.",
    )
    disabled_reason = models.CharField(max_length=300, blank=True, editable=False)
    disabled_at = models.DateTimeField(null=True, blank=True, editable=False)
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    # The endpoint's circuit breaker (webhooks.breaker): open until breaker_retry_at.
    breaker_failures = models.PositiveIntegerField(default=0, editable=False)
    breaker_trips = models.PositiveIntegerField(default=0, editable=False)
    breaker_retry_at = models.DateTimeField(null=True, blank=True, editable=False)
    breaker_reason = models.CharField(max_length=300, blank=True, editable=False)
    BREAKER_FIELDS = ("breaker_failures", "breaker_trips", "breaker_retry_at", "breaker_reason")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Last on purpose: from here on, `models` in this class body is this field.
    models = JSONField(
        default=list,
        blank=True,
        help_text="Push models this webhook watches; none selected means all six.",
    )

    class Meta:
        ordering = ["station", "name"]
        indexes = [models.Index(fields=["station", "trigger", "enabled"])]

    def __str__(self) -> str:
        return self.name

    def signing_previous_secret(self, now) -> str:
        """The pre-rotation secret while its grace period lasts, else ""."""
        expires = self.previous_secret_expires_at
        return self.previous_secret if expires and now < expires else ""

    @property
    def breaker(self) -> Breaker:
        return Breaker(
            self.breaker_failures, self.breaker_trips, self.breaker_retry_at, self.breaker_reason
        )

    def set_breaker(self, breaker: Breaker) -> None:
        self.breaker_failures, self.breaker_trips = breaker.failures, breaker.trips
        self.breaker_retry_at, self.breaker_reason = breaker.retry_at, breaker.reason[:300]

    def watches(self, model: str) -> bool:
        return self.trigger == Trigger.PUSH and (not self.models or model in self.models)

    @property
    def masked_secret(self) -> str:
        return mask_secret(self.secret)

    @property
    def masked_key(self) -> str:
        return mask_secret(self.key)

    def clean(self):
        validate_target_url(self.url)
        unknown = set(self.models or []) - set(PushModel.values)
        if unknown:
            raise ValidationError({"models": f"Unknown models: {', '.join(sorted(unknown))}."})


class Event(models.Model):
    """The outbox: one thing that happened at a station, with its body frozen as sent."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=40, choices=Trigger.choices)
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
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["job_id"], name="event_job_id_idx"),
            models.Index(fields=["model_id"], name="event_model_id_idx"),
            models.Index(fields=["created_at"], name="event_created_idx"),
            models.Index(fields=["station", "type", "-created_at"], name="event_station_type_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.message_id}"


class Delivery(models.Model):
    """One event on its way to one webhook. `station` and `event_type` are copied from
    the event so the delivery log filters without a join."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    # Its own index would be redundant: the two station indexes below lead with it.
    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="+", db_index=False)
    event_type = models.CharField(max_length=40, choices=Trigger.choices)
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
            models.Index(
                fields=["next_attempt_at"],
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
        return f"Delivery {self.pk} of {self.event_type}"


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    manual = models.BooleanField(default=False)
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField()
    request_headers = models.JSONField(default=dict)
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


ACTIVE_RESYNC_STATUSES = ("queued", "running")


class ResyncJob(models.Model):
    """A Manual Resync of one push webhook: `create` messages for everything it watches,
    with Items, Broadcasts and Campaigns limited to a `start` window."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="resyncs")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    sent = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True, help_text="Messages per model.")
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    progress_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life of the worker running it."
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["webhook"],
                condition=Q(status__in=ACTIVE_RESYNC_STATUSES),
                name="one_active_resync_per_webhook",
            ),
            models.CheckConstraint(
                condition=Q(window_end__gt=F("window_start")), name="resync_window_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"Resync {self.pk} of {self.webhook}"


class DeliveryStat(models.Model):
    """Hourly outcome counts per webhook, kept by the engine as it records attempts, so the
    dashboard and the webhook pages never scan the delivery log (and survive its pruning).
    `retried` counts attempts that failed and were scheduled again."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="stats")
    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="+")
    hour = models.DateTimeField()
    delivered = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    retried = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["webhook", "hour"], name="one_stat_per_webhook_hour")
        ]
        indexes = [models.Index(fields=["station", "hour"], name="stat_station_hour_idx")]

    def __str__(self) -> str:
        return f"{self.webhook_id} @ {self.hour:%Y-%m-%d %H}:00"


class EngineCounter(models.Model):
    """Running totals the engine adds to as it records (outcomes, the latency histogram),
    read by the /metrics endpoint. Each worker process adds to its own `shard` of rows, so
    recorders never wait on each other's row locks; a scrape sums the shards."""

    shard = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=40)
    value = models.FloatField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shard", "name"], name="one_counter_per_shard")
        ]

    def __str__(self) -> str:
        return f"{self.name}[{self.shard}] = {self.value:g}"


class AlertPolicy(models.Model):
    """Who hears about which stream outages, and when (Radio Mast's alert policies).

    `any`: one alert per stream that goes down; `all`: one alert, with `"stream": null`,
    when every covered stream is down. A down alert goes out once the outage has lasted
    `grace_minutes`; several policies may cover one stream with different contacts and
    grace periods (escalation). The state machine lives in webhooks.alerts."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="alert_policies")
    name = models.CharField(max_length=200)
    streams = models.ManyToManyField(
        Stream,
        blank=True,
        related_name="alert_policies",
        help_text="None selected means all the station's streams, present and future.",
    )
    condition = models.CharField(
        max_length=8, choices=AlertCondition.choices, default=AlertCondition.ANY
    )
    grace_minutes = models.PositiveIntegerField(
        default=0,
        help_text="How long an outage must last before the down alert goes out. "
        "A stream that recovers within it sends nothing.",
    )
    notify_recovery = models.BooleanField(
        default=True, help_text="Send the `up` alert when an outage that was alerted ends."
    )
    enabled = models.BooleanField(default=True)
    contacts = models.ManyToManyField(
        Webhook,
        blank=True,
        related_name="alert_policies",
        limit_choices_to={"trigger": Trigger.STREAM_ALERT},
        help_text="Stream alert webhooks of the same station that receive the alerts.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "alert policies"
        ordering = ["station", "name"]

    def __str__(self) -> str:
        return self.name


class AlertState(models.Model):
    """An outage a policy is tracking: one row per down stream (`any`) or one row with no
    stream (`all`). The row exists only while the subject is down; `down_sent_at` says
    whether its down alert went out, so recovery sends `up` only after a `down`."""

    policy = models.ForeignKey(AlertPolicy, on_delete=models.CASCADE, related_name="states")
    stream = models.ForeignKey(
        Stream, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    down_since = models.DateTimeField()
    down_sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "stream"], name="alertstate_one_per_policy_stream"
            ),
            models.UniqueConstraint(
                fields=["policy"],
                condition=Q(stream__isnull=True),
                name="alertstate_one_per_policy_without_stream",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy} / {self.stream or 'all streams'} down since {self.down_since}"
