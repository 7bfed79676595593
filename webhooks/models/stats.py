"""Hourly delivery outcomes per webhook, and the engine's running totals (/metrics)."""

from django.db import models

from stations.models import Station
from webhooks.models.webhook import Webhook

__all__ = ["DeliveryStat", "EngineCounter"]


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
