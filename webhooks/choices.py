from django.db import models

__all__ = ["DeliveryStatus", "Trigger"]


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
