from django.db import models

__all__ = ["EncoderStatus", "ItemStatus", "PushAction", "PushModel"]


class ItemStatus(models.TextChoices):
    SCHEDULED = "scheduled"
    PLAYING = "playing"
    PLAYED = "played"


class EncoderStatus(models.TextChoices):
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    ERROR = "error"


class PushModel(models.TextChoices):
    """The six RadioManager models whose changes become push messages."""

    PROGRAM = "program"
    BROADCAST = "broadcast"
    ITEM = "item"
    PRESENTER = "presenter"
    CONTACT = "contact"
    CAMPAIGN = "campaign"


class PushAction(models.TextChoices):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    RECOVER = "recover"
