"""What the studio reports: its encoders' status and the tracks that start playing."""

from django.db import models
from django.utils import timezone

from stations.choices import EncoderStatus, TrackSource
from stations.models.public_ids import new_encoder_public_id, new_track_play_public_id
from stations.models.station import Station

__all__ = ["Encoder", "TrackPlay"]


class Encoder(models.Model):
    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="encoders")
    name = models.CharField(max_length=200)
    status = models.CharField(
        max_length=16, choices=EncoderStatus.choices, default=EncoderStatus.DISCONNECTED
    )
    public_id = models.CharField(
        max_length=32, unique=True, default=new_encoder_public_id, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TrackPlay(models.Model):
    """A track that started playing at the station, as a playout system reported it.

    `public_id` is the `track.id` (`med_...`) of the `station.studio.newtrack` event.
    A play reported to the hooks is an inbox row (stations.inbound.track_play_receive):
    `event_pending` until a worker has raised its event; `api_key_id` is the key that
    reported it, the event's actor."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="track_plays")
    public_id = models.CharField(
        max_length=32, unique=True, default=new_track_play_public_id, editable=False
    )
    title = models.CharField(max_length=300)
    artist = models.CharField(max_length=300, blank=True)
    album = models.CharField(max_length=300, blank=True)
    duration = models.PositiveIntegerField(default=0, help_text="Seconds; 0 when unknown.")
    external_id = models.CharField(
        max_length=100, blank=True, help_text="The playout system's own id for the track."
    )
    source = models.CharField(max_length=16, choices=TrackSource.choices)
    played_at = models.DateTimeField(default=timezone.now)
    event_pending = models.BooleanField(default=False, editable=False)
    api_key_id = models.BigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-played_at"]
        indexes = [
            models.Index(fields=["station", "-played_at"]),
            models.Index(
                fields=["id"],
                condition=models.Q(event_pending=True),
                name="trackplay_event_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.artist} - {self.title}" if self.artist else self.title
