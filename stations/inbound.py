"""Inbound hooks: what a playout system or an encoder tells the hub.

The API views (stations/api/), the Icecast endpoint and the inbound gateway (the vendors'
own webhooks) validate the request and call these. Each records the report and sends its
domain signal (stations.signals), which whatever listens (the `station.studio.newtrack`
and `station.encoder.statuschange` events) turns into work, only for a saved report:

- in one transaction (`track_play_record`, `encoder_report_status`), for callers that are
  already workers, like the gateway processing a request it has accepted;
- or, for the now-playing hooks, which playout systems call on every track and which
  must answer fast, through the inbox (see the inbox package): `track_play_receive`
  writes the play in one statement and the hook answers once it is durable; a worker
  sends its signal right after (`track_plays_announce`), one play after the other in the
  order they arrived. A worker killed half-way leaves its plays pending for the next.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from inbox import insert_announced
from stations.actors import acting_as
from stations.choices import EncoderStatus, TrackSource
from stations.models import Encoder, Station, TrackPlay
from stations.models.public_ids import ENCODER_PUBLIC_ID
from stations.signals import EncoderStatusChange, encoder_status_changed, track_played

__all__ = [
    "TRACK_PLAYS_CHANNEL",
    "EncoderStatusReport",
    "encoder_for_report",
    "encoder_report_status",
    "track_play_receive",
    "track_play_record",
    "track_plays_announce",
]

TRACK_PLAYS_CHANNEL = "stationhooks_track_plays"
TRACK_PLAYS_LOCK = 0x5348_5450  # pg_advisory_xact_lock: one worker announces at a time


def _new_play(
    *,
    station_id: int,
    title: str,
    artist: str = "",
    album: str = "",
    duration: int = 0,
    external_id: str = "",
    source: TrackSource = TrackSource.API,
    played_at: datetime | None = None,
) -> TrackPlay:
    return TrackPlay(
        station_id=station_id,
        title=title,
        artist=artist,
        album=album,
        duration=duration,
        external_id=external_id,
        source=source,
        played_at=played_at or timezone.now(),
    )


def track_play_record(*, station: Station, **report) -> TrackPlay:
    """Record that a track started playing at `station`, at `played_at` (now by default),
    and send `track_played`, in one transaction. Takes `_new_play`'s other arguments."""
    play = _new_play(station_id=station.pk, **report)
    play.station = station
    with transaction.atomic():
        play.save(force_insert=True)
        track_played.send(sender=TrackPlay, play=play)
    return play


def track_play_receive(*, api_key_id: int | None, **report) -> TrackPlay:
    """Record a play reported by the key `api_key_id` in one durable statement, and leave
    `track_played` to a worker (see the module docstring). Takes `_new_play`'s
    arguments: the station by its id, which is all the hooks know of it."""
    play = _new_play(**report)
    play.event_pending, play.api_key_id = True, api_key_id
    insert_announced(play, channel=TRACK_PLAYS_CHANNEL, process=track_plays_announce)
    return play


def track_plays_announce(*, limit: int = 100) -> int:
    """Send `track_played` for up to `limit` pending plays, oldest first, acting as the
    key that reported each; returns how many it took. One worker at a time (PostgreSQL:
    an advisory lock the others wait for; SQLite: its single writer), in one transaction
    that also marks them announced, so none is announced twice or skipped."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TRACK_PLAYS_LOCK])
        plays = list(
            TrackPlay.objects.filter(event_pending=True)
            .select_related("station")
            .order_by("pk")[:limit]
        )
        for play in plays:
            with acting_as(api_key_id=play.api_key_id):
                track_played.send(sender=TrackPlay, play=play)
        TrackPlay.objects.filter(pk__in=[play.pk for play in plays]).update(event_pending=False)
    return len(plays)


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
