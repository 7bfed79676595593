from django.db import models

__all__ = [
    "AlertCondition",
    "AlertType",
    "DeliveryStatus",
    "GenericAuth",
    "InboundOutcome",
    "InboundStatus",
    "SignatureAlgorithm",
    "SignatureEncoding",
    "SourceKind",
]

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


class SourceKind(models.TextChoices):
    """What an inbound source sends: how its requests are verified and what they become
    (webhooks.gateway)."""

    RADIOMANAGER = "radiomanager", "RadioManager Push API"
    XTRA = "xtra", "xtra station webhooks"
    RADIOMAST = "radiomast", "Radio Mast alert webhooks"
    STANDARD_WEBHOOKS = "standard-webhooks", "Standard Webhooks"
    GENERIC = "generic", "Generic (HMAC, API key, basic auth or none)"


class GenericAuth(models.TextChoices):
    """How a generic source's requests prove where they come from."""

    HMAC = "hmac", "HMAC signature of the body in a header"
    API_KEY = "api-key", "A key in a header"
    BASIC = "basic", "HTTP basic auth"
    NONE = "none", "Nothing (anyone who knows the URL)"


class SignatureAlgorithm(models.TextChoices):
    SHA256 = "sha256", "HMAC-SHA256"
    SHA512 = "sha512", "HMAC-SHA512"


class SignatureEncoding(models.TextChoices):
    HEX = "hex"
    BASE64 = "base64"


class InboundOutcome(models.TextChoices):
    """What the gateway answered a request that reached a source."""

    ACCEPTED = "accepted", "accepted (202)"
    DUPLICATE = "duplicate", "duplicate (200)"
    REJECTED = "rejected", "rejected (4xx)"


class InboundStatus(models.TextChoices):
    """Where an accepted request's processing stands (rejected and duplicate requests are
    not processed: empty)."""

    NONE = "", "-"
    PENDING = "pending"
    PROCESSED = "processed"
    FAILED = "failed"
