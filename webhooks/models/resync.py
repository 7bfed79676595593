"""Manual resync jobs (webhooks.resync runs them)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from webhooks.models.webhook import Webhook

__all__ = ["ACTIVE_RESYNC_STATUSES", "ResyncJob"]

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
