from django.db import models

__all__ = ["AlertCondition", "AlertType", "DeliveryStatus"]

# The event types (what a webhook listens to) are a registry: webhooks/event_types.py.


class DeliveryStatus(models.TextChoices):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    SUPERSEDED = "superseded", "superseded (a newer message replaced it before sending)"


class AlertCondition(models.TextChoices):
    """When an alert policy fires (Radio Mast's two conditions)."""

    ANY = "any", "Any stream is down (one alert per stream)"
    ALL = "all", "All streams are down (one alert, no stream)"


class AlertType(models.TextChoices):
    """`event.type` of a stream alert."""

    DOWN = "down"
    UP = "up"
