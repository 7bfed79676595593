"""Inbound hooks: what a playout system or an encoder tells the hub, turned into events.

The API views (stations/api/) and the Icecast endpoint validate the request and call
these; each records the report and publishes its xtra-style event in one transaction,
so the event goes out only if the report was saved.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from stations.choices import EncoderStatus, TrackSource
from stations.models import Encoder, Station, TrackPlay
from webhooks.choices import Trigger
from webhooks.payloads import encoder_statuschange_event, newtrack_event
from webhooks.publish import publish, webhooks_for

__all__ = ["EncoderStatusReport", "encoder_report_status", "track_play_record"]


def track_play_record(
    *,
    station: Station,
    title: str,
    artist: str = "",
    album: str = "",
    duration: int = 0,
    external_id: str = "",
    source: TrackSource = TrackSource.API,
) -> TrackPlay:
    """Record that a track started playing now and raise `station.studio.newtrack`."""
    with transaction.atomic():
        play = TrackPlay.objects.create(
            station=station,
            title=title,
            artist=artist,
            album=album,
            duration=duration,
            external_id=external_id,
            source=source,
            played_at=timezone.now(),
        )
        publish(
            station=station,
            event_type=Trigger.NEWTRACK,
            payload=newtrack_event(
                timestamp=play.played_at,
                station_id=station.public_id,
                station_name=station.name,
                track_id=play.public_id,
                title=play.title,
                artist=play.artist,
                album=play.album,
                duration=play.duration,
            ),
            webhooks=webhooks_for(station, Trigger.NEWTRACK),
        )
    return play


@dataclass(frozen=True)
class EncoderStatusReport:
    encoder: Encoder
    previous_status: str

    @property
    def changed(self) -> bool:
        return self.encoder.status != self.previous_status


def encoder_report_status(*, encoder: Encoder, status: EncoderStatus) -> EncoderStatusReport:
    """Set the encoder's status; raise `station.encoder.statuschange` only if it changed.

    The encoder row is locked for the read-compare-write, so two reports arriving at
    once publish one event between them, with the right `previousStatus`."""
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
            station = locked.station
            publish(
                station=station,
                event_type=Trigger.ENCODER_STATUS,
                payload=encoder_statuschange_event(
                    timestamp=locked.updated_at,
                    station_id=station.public_id,
                    station_name=station.name,
                    encoder_id=locked.public_id,
                    encoder_name=locked.name,
                    status=locked.status,
                    previous_status=previous_status,
                ),
                webhooks=webhooks_for(station, Trigger.ENCODER_STATUS),
            )
    return EncoderStatusReport(encoder=locked, previous_status=previous_status)
