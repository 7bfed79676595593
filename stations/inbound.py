"""Inbound hooks: what a playout system or an encoder tells the hub.

The API views (stations/api/), the Icecast endpoint and the inbound gateway (the vendors'
own webhooks) validate the request and call these; each records the report and sends its
domain signal (stations.signals) in one transaction, so whatever listens (the
`station.studio.newtrack` and `station.encoder.statuschange` events) happens only if the
report was saved.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from stations.choices import EncoderStatus, TrackSource
from stations.models import Encoder, Station, TrackPlay
from stations.models.public_ids import ENCODER_PUBLIC_ID
from stations.signals import EncoderStatusChange, encoder_status_changed, track_played

__all__ = [
    "EncoderStatusReport",
    "encoder_for_report",
    "encoder_report_status",
    "track_play_record",
]


def track_play_record(
    *,
    station: Station,
    title: str,
    artist: str = "",
    album: str = "",
    duration: int = 0,
    external_id: str = "",
    source: TrackSource = TrackSource.API,
    played_at: datetime | None = None,
) -> TrackPlay:
    """Record that a track started playing at `played_at` (now by default); sends
    `track_played`."""
    with transaction.atomic():
        play = TrackPlay.objects.create(
            station=station,
            title=title,
            artist=artist,
            album=album,
            duration=duration,
            external_id=external_id,
            source=source,
            played_at=played_at or timezone.now(),
        )
        track_played.send(sender=TrackPlay, play=play)
    return play


@dataclass(frozen=True)
class EncoderStatusReport:
    encoder: Encoder
    previous_status: str

    @property
    def changed(self) -> bool:
        return self.encoder.status != self.previous_status


def encoder_report_status(*, encoder: Encoder, status: EncoderStatus) -> EncoderStatusReport:
    """Set the encoder's status; sends `encoder_status_changed` only if it changed.

    The encoder row is locked for the read-compare-write, so two reports arriving at
    once change it once between them, with the right previous status."""
    with transaction.atomic():
        locked = (
            Encoder.objects.select_for_update(of=("self",))
            .select_related("station")
            .get(pk=encoder.pk)
        )
        previous_status = locked.status
        if previous_status != status:
            locked.status = status
            locked.save(update_fields=["status", "updated_at"])
            change = EncoderStatusChange(
                encoder=locked,
                status=locked.status,
                previous_status=previous_status,
                changed_at=locked.updated_at,
            )
            encoder_status_changed.send(sender=Encoder, change=change)
    return EncoderStatusReport(encoder=locked, previous_status=previous_status)


def encoder_for_report(
    *, station: Station, public_id: str, name: str, previous_status: EncoderStatus
) -> Encoder:
    """The station's encoder another system reports on by its id (`enc_…`), or failing
    that by its name; created on first sight, with that id when it is free, and with
    `previous_status`, so the report that names it changes it from there."""
    encoders = Encoder.objects.filter(station=station)
    encoder = encoders.filter(public_id=public_id).first()
    if encoder is None and name:
        encoder = encoders.filter(name=name).first()
    if encoder is not None:
        return encoder
    new = Encoder(station=station, name=(name or public_id)[:200], status=previous_status)
    if (
        ENCODER_PUBLIC_ID.fullmatch(public_id)
        and not Encoder.objects.filter(public_id=public_id).exists()
    ):
        new.public_id = public_id
    new.save()
    return new
