from django.db import models

__all__ = ["AlertCondition", "AlertType", "DeliveryStatus", "Trigger"]


class Trigger(models.TextChoices):
    """What a webhook listens to; also the type of the events it receives."""

    PUSH = "push", "Push messages (RadioManager)"
    NEWTRACK = "station.studio.newtrack", "station.studio.newtrack"
    ENCODER_STATUS = "station.encoder.statuschange", "station.encoder.statuschange"
    STREAM_ALERT = "stream.alert", "Stream alert contact (Radio Mast)"


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
