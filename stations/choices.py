from django.db import models

__all__ = ["CheckSource", "EncoderStatus", "ItemStatus", "PushAction", "PushModel", "TrackSource"]


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


class CheckSource(models.TextChoices):
    """Who found a stream up or down: the hub's own monitor, an inbound status report, or
    a Radio Mast alert that reached the inbound gateway."""

    MONITOR = "monitor"
    EXTERNAL = "external"
    RADIOMAST = "radiomast", "Radio Mast alert"


class TrackSource(models.TextChoices):
    """How a track play reached the hub."""

    API = "api", "REST API (/api/v1/studio/tracks/)"
    ICECAST = "icecast", "Icecast metadata update (/admin/metadata)"
    XTRA = "xtra", "xtra webhook (inbound gateway)"
