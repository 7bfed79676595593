"""Reads of the inbound gateway: the source of a token (the ingest endpoint's one look-up)."""

from datetime import datetime

from django.db.models import Q

from webhooks.gateway.tokens import hash_token
from webhooks.models import InboundSource

__all__ = ["source_for_token"]


def source_for_token(token: str, *, now: datetime) -> InboundSource | None:
    """The enabled source whose URL token is `token`, or whose previous token it is while
    the rotation's overlap lasts; None otherwise."""
    hashed = hash_token(token)
    return (
        InboundSource.objects.filter(
            Q(token_hash=hashed) | Q(previous_token_hash=hashed, previous_token_expires_at__gt=now),
            enabled=True,
        )
        .order_by("pk")
        .first()
    )
