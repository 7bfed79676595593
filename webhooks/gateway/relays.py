"""What an accepted inbound request becomes, per kind of source: the hub's own records and
events, so the formats, pacing, retries and delivery log of the hub apply to them.

- xtra `station.studio.newtrack`: a track play (source xtra) and its
  `station.studio.newtrack` event;
- xtra `station.encoder.statuschange`: the encoder's new status (the encoder is found by
  its id, or its name, or created), and `station.encoder.statuschange` only if it changed;
- Radio Mast alert: a check of the stream (found by its UUID, or created) with what the
  alert says, and the alert itself, relayed as it came to the station's `stream.alert`
  webhooks;
- RadioManager push message: relayed as it came to the station's push webhooks that watch
  its model, with its `job_id`;
- generic and Standard Webhooks: relayed as they came to the source's relay webhooks.

Each runs inside the caller's transaction (webhooks.gateway.processing), so the records,
the events and the request's "processed" mark commit together or not at all.
"""

from collections.abc import Callable
from typing import Any

from stations.actors import Actor
from stations.changes import Change
from stations.choices import CheckSource, TrackSource
from stations.inbound import encoder_for_report, encoder_report_status, track_play_record
from stations.models import Stream, TrackPlay
from stations.monitor import report_stream_status, stream_for_alert
from webhooks.choices import SourceKind
from webhooks.event_types import (
    INBOUND_RELAY,
    PUSH,
    STREAM_ALERT,
    PushJob,
    RelayedRequest,
    StreamAlert,
)
from webhooks.gateway.bodies import (
    PushMessage,
    RadioMastAlert,
    XtraEncoderStatus,
    XtraNewTrack,
    read_body,
)
from webhooks.models import InboundRequest, InboundSource
from webhooks.publish import Draft, publish_batch, publish_event, subscribers
from webhooks.selectors import webhooks_for

__all__ = ["carry_out"]

_TRACK_FIELD_MAX = {
    name: TrackPlay._meta.get_field(name).max_length
    for name in ("title", "artist", "album", "external_id")
}


def _xtra(source: InboundSource, request: InboundRequest, text: str, read: Any) -> None:
    station = source.station
    if isinstance(read, XtraNewTrack):
        track_play_record(
            station=station,
            title=read.title[: _TRACK_FIELD_MAX["title"]],
            artist=read.artist[: _TRACK_FIELD_MAX["artist"]],
            album=read.album[: _TRACK_FIELD_MAX["album"]],
            duration=read.duration,
            external_id=read.track_id[: _TRACK_FIELD_MAX["external_id"]],
            source=TrackSource.XTRA,
            played_at=read.played_at or request.received_at,
        )
        return
    assert isinstance(read, XtraEncoderStatus)
    encoder = encoder_for_report(
        station=station,
        public_id=read.encoder_id,
        name=read.name,
        previous_status=read.previous_status,
    )
    encoder_report_status(encoder=encoder, status=read.status)


def _radiomast(source: InboundSource, request: InboundRequest, text: str, read: Any) -> None:
    assert isinstance(read, RadioMastAlert)
    station = source.station
    stream: Stream | None = None
    if read.stream_id is not None:
        stream = stream_for_alert(
            station=station,
            stream_uuid=read.stream_id,
            name=read.stream_name,
            listening_url=read.listening_url,
        )
        report_stream_status(
            stream=stream,
            is_up=read.alert_type == "up",
            silence=read.silence,
            reason=read.summary,
            source=CheckSource.RADIOMAST,
        )
    alert = StreamAlert(
        station=station,
        stream=stream,
        alert_type=read.alert_type,
        at=read.at or request.received_at,
    )
    publish_event(
        STREAM_ALERT, alert, webhooks=list(webhooks_for(station, STREAM_ALERT.name)), body=text
    )


def _radiomanager(source: InboundSource, request: InboundRequest, text: str, read: Any) -> None:
    assert isinstance(read, PushMessage)
    change = Change(
        model=read.model,
        model_id=read.model_id,
        station_id=source.station_id,
        action=read.action,
        actor=Actor(),
    )
    job = PushJob(change=change, job_id=read.job_id)
    draft = Draft(
        station_id=source.station_id,
        event_type=PUSH.name,
        payload=None,
        body=text,
        webhooks=subscribers(PUSH, job),
        actor=change.actor,
        job_id=read.job_id,
        model_id=read.model_id,
        coalesce_key=PUSH.coalesce_key(job),
    )
    publish_batch([draft])


def _relay(source: InboundSource, request: InboundRequest, text: str, read: Any) -> None:
    relayed = RelayedRequest(
        station_id=source.station_id,
        body=text,
        webhook_ids=frozenset(source.relay_to.values_list("pk", flat=True)),
    )
    publish_event(INBOUND_RELAY, relayed, body=text)


_BECOMES: dict[str, Callable[[InboundSource, InboundRequest, str, Any], None]] = {
    SourceKind.XTRA: _xtra,
    SourceKind.RADIOMAST: _radiomast,
    SourceKind.RADIOMANAGER: _radiomanager,
    SourceKind.STANDARD_WEBHOOKS: _relay,
    SourceKind.GENERIC: _relay,
}


def carry_out(source: InboundSource, request: InboundRequest) -> None:
    """Make of `request` what its source's kind says (see the module docstring), in the
    caller's transaction. Raises BodyProblem for a body its kind cannot read (one accepted
    anyway after it was rejected)."""
    text, read = read_body(source.kind, bytes(request.body), request.content_type)
    _BECOMES[source.kind](source, request, text, read)
