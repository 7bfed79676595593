"""Alert policies and the outages they track (webhooks.alerts acts on them)."""

from django.db import models
from django.db.models import Q

from stations.models import Station, Stream
from webhooks import event_types
from webhooks.choices import AlertCondition
from webhooks.models.webhook import Webhook

__all__ = ["DEFAULT_GRACE_MINUTES", "AlertPolicy", "AlertState"]

# One minute of downtime before alerting: an outage seen by one check a minute is past
# it by the next check, so a single failed check alone does not alert.
DEFAULT_GRACE_MINUTES = 1


class AlertPolicy(models.Model):
    """Who hears about which stream outages, and when (Radio Mast's alert policies).

    `any`: one alert per stream that goes down; `all`: one alert, with `"stream": null`,
    when every covered stream is down. A down alert goes out once the outage has lasted
    `grace_minutes` (Radio Mast's "sensitivity": the minutes of downtime allowed before
    alerting); several policies may cover one stream with different notify webhooks and
    grace periods (escalation). The state machine lives in webhooks.alerts. (The notify
    webhooks are Radio Mast's alert contacts; the field keeps that name, `contacts`.)"""

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
        "grace period (minutes)",
        default=DEFAULT_GRACE_MINUTES,
        help_text="Sensitivity: how many minutes of downtime to allow before the down alert "
        "goes out. A stream that recovers sooner sends nothing. Streams are checked once a "
        "minute; 0 alerts on the first failed check.",
    )
    notify_recovery = models.BooleanField(
        "notify recovery",
        default=True,
        help_text="Send an up alert when an outage that was alerted ends.",
    )
    enabled = models.BooleanField(default=True)
    contacts = models.ManyToManyField(
        Webhook,
        blank=True,
        related_name="alert_policies",
        limit_choices_to={"event_type": event_types.STREAM_ALERT.name},
        verbose_name="notify webhooks",
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
        return f"{self.stream or 'all streams'} (down since {self.down_since:%Y-%m-%d %H:%M} UTC)"
