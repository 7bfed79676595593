"""The station: every other row of station data belongs to one."""

import uuid
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import models

from stations.models.public_ids import new_station_public_id

__all__ = ["Station"]


class Station(models.Model):
    name = models.CharField(max_length=200)
    short_name = models.CharField(max_length=50, blank=True)
    timezone = models.CharField(max_length=64, default="UTC")
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    public_id = models.CharField(
        max_length=32, unique=True, default=new_station_public_id, editable=False
    )
    operators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="stations",
        help_text="Staff users (not superusers) who see and manage this station's data, "
        "webhooks and deliveries in the admin. Superusers see every station.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        # The hub's permissions beyond Django's four (stations/permissions.py).
        permissions = [("manage_secrets", "Can manage webhook secrets and keys")]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> ZoneInfo:
        """The station's time zone, UTC when `timezone` names none (it is free text)."""
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")
