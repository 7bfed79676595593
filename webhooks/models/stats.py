"""Hourly delivery outcomes and latencies per webhook, and the engine's running totals
(/metrics)."""

from django.db import models

from stations.models import Station
from webhooks.models.webhook import Webhook

__all__ = ["DeliveryStat", "EngineCounter"]


class DeliveryStat(models.Model):
    """Hourly outcome counts per webhook, kept by the engine as it records attempts, so the
    dashboard and the webhook pages never scan the delivery log (and survive its pruning).
    `retried` counts attempts that failed and were scheduled again. The `latency_*`
    columns are the hour's delivered ones' latency histogram, one count per bucket
    (webhooks.latency says what latency measures; LATENCY_COLUMNS lists them in order);
    their DB default lets rows be written without them."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="stats")
    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="+")
    hour = models.DateTimeField()
    delivered = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    retried = models.PositiveIntegerField(default=0)
    latency_le_0_05 = models.PositiveIntegerField(default=0, db_default=0)
    latency_le_0_1 = models.PositiveIntegerField(default=0, db_default=0)
    latency_le_0_25 = models.PositiveIntegerField(default=0, db_default=0)
    latency_le_0_5 = models.PositiveIntegerField(default=0, db_default=0)
    latency_le_1 = models.PositiveIntegerField(default=0, db_default=0)
    latency_le_2_5 = models.PositiveIntegerField(default=0, db_default=0)
    latency_le_5 = models.PositiveIntegerField(default=0, db_default=0)
    latency_le_10 = models.PositiveIntegerField(default=0, db_default=0)
    latency_le_30 = models.PositiveIntegerField(default=0, db_default=0)
    latency_le_60 = models.PositiveIntegerField(default=0, db_default=0)
    latency_le_300 = models.PositiveIntegerField(default=0, db_default=0)
    latency_le_1800 = models.PositiveIntegerField(default=0, db_default=0)
    latency_over_1800 = models.PositiveIntegerField(default=0, db_default=0)

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
