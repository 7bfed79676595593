"""Keys to the REST API and the inbound hooks."""

from django.db import models

from stations.models.station import Station

__all__ = ["ApiKey"]


class ApiKey(models.Model):
    """A station's key to the REST API and inbound hooks.

    Only a SHA-256 hash of the key is stored (stations/api_keys.py makes and checks keys);
    `prefix`, the key's first characters, finds the row and tells keys apart on screen.
    A revoked key stays, so events it caused keep pointing at it."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, help_text='Who uses it, e.g. "Playout studio 1".')
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["station", "name"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
