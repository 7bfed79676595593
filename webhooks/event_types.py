"""Event types: every kind of event the hub sends, each named once, with its behaviour.

An EventType says:
- `name`: what Webhook.event_type, Event.event_type and Delivery.event_type hold (the
  operator picks it by its `label`);
- `build`: its payload builder, a pure function of the domain object the event is about
  (its *subject*), returning the body in its vendor's shape (webhooks.payloads);
- `accepts`: which of the station's enabled webhooks of the type get a given subject
  (all of them unless said otherwise);
- `pacing`: the pacing option its webhooks may use besides a delay (throttle: the latest
  subject wins; debounce: updates of one object merge, keyed by `coalesce_key`);
- `sample`: a realistic subject for the admin's "send test event", from the webhook's
  station; `recent`: a real one, from the station's recent data, when it has some (the
  test event prefers it).

Every subject has a `station_id`. Publishing one is `webhooks.publish.publish_event(type,
subject)`. A new type registers itself with `register()`: the admin's choices, publishing,
test events and the delivery log take it up with no migration (the model fields take
their choices from `choices()`) and no branch in any caller.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from stations.actors import Actor
from stations.changes import Change
from stations.choices import EncoderStatus, PushAction, PushModel
from stations.models import Encoder, Station, Stream, TrackPlay
from stations.signals import EncoderStatusChange
from webhooks import payloads

__all__ = [
    "ENCODER_STATUS",
    "INBOUND_RELAY",
    "NEWTRACK",
    "PUSH",
    "STREAM_ALERT",
    "EventType",
    "Pacing",
    "PushJob",
    "RelayedRequest",
    "StreamAlert",
    "choices",
    "get",
    "register",
    "registered",
]


class Pacing(StrEnum):
    """The pacing option a type's webhooks may use, besides a delay (which any may)."""

    NONE = "none"
    THROTTLE = "throttle"
    DEBOUNCE = "debounce"


def _accepts_any(webhook, subject) -> bool:
    return True


def _no_coalescing(subject) -> str:
    return ""


def _nothing_recent(*, webhook, actor, now: datetime) -> None:
    return None


@dataclass(frozen=True)
class EventType:
    name: str
    label: str
    build: Callable[[Any], dict[str, Any]]
    sample: Callable[..., Any] = field(repr=False)
    accepts: Callable[[Any, Any], bool] = field(default=_accepts_any, repr=False)
    pacing: Pacing = Pacing.NONE
    coalesce_key: Callable[[Any], str] = field(default=_no_coalescing, repr=False)
    # A test event's subject from the station's own recent data and what it is
    # ("Program 12 (Morning Show)"), or None when there is none.
    recent: Callable[..., tuple[Any, str] | None] = field(default=_nothing_recent, repr=False)

    def __str__(self) -> str:
        return self.name


_registry: dict[str, EventType] = {}


def register(event_type: EventType) -> EventType:
    """Add an event type; its name must be new and fit the fields (40 characters)."""
    if event_type.name in _registry:
        raise ValueError(f"Event type {event_type.name!r} is registered already.")
    if len(event_type.name) > 40:
        raise ValueError(f"Event type name {event_type.name!r} is over 40 characters.")
    _registry[event_type.name] = event_type
    return event_type


def get(name: str) -> EventType:
    """The registered type of that name; KeyError for an unknown one."""
    return _registry[name]


def registered() -> list[EventType]:
    return list(_registry.values())


def choices() -> list[tuple[str, str]]:
    """(name, label) of every registered type: the choices of the fields that hold one."""
    return [(event_type.name, event_type.label) for event_type in _registry.values()]


# --- push messages (RadioManager Push API) ----------------------------------------------


@dataclass(frozen=True)
class PushJob:
    """A change of a push model, numbered for one station's receivers (`job_id`)."""

    change: Change
    job_id: int
    resync: bool = False

    @property
    def station_id(self) -> int:
        return self.change.station_id


def _push_message(job: PushJob) -> dict[str, Any]:
    change = job.change
    return payloads.push_message(
        action=change.action,
        model=change.model,
        model_id=change.model_id,
        job_id=job.job_id,
        resync=job.resync,
        station_id=change.station_id,
        user_id=change.actor.user_id,
        api_id=change.actor.api_key_id,
    )


def _sample_push_job(*, webhook, actor, now: datetime) -> PushJob:
    change = Change(
        model=(webhook.models or ["program"])[0],
        model_id=0,
        station_id=webhook.station_id,
        action=PushAction.UPDATE,
        actor=Actor(user_id=getattr(actor, "pk", None)),
    )
    return PushJob(change=change, job_id=0)


def _recent_push_job(*, webhook, actor, now: datetime) -> tuple[PushJob, str] | None:
    """An update of the station's most recently changed live object the webhook watches
    (models are related to the station as `programs`, `broadcasts`…)."""
    found = []
    for model in webhook.models or list(PushModel.values):
        latest = getattr(webhook.station, f"{model}s").order_by("-updated_at").first()
        if latest is not None:
            found.append((latest.updated_at, model, latest))
    if not found:
        return None
    _, model, latest = max(found, key=lambda each: each[0])
    change = Change(
        model=model,
        model_id=latest.pk,
        station_id=webhook.station_id,
        action=PushAction.UPDATE,
        actor=Actor(user_id=getattr(actor, "pk", None)),
    )
    return PushJob(change=change, job_id=0), f"{model.capitalize()} {latest.pk} ({latest})"


def _update_of_one_object(job: PushJob) -> str:
    """Updates of the same object merge in a debouncing webhook; nothing else does."""
    change = job.change
    return f"{change.model}:{change.model_id}" if change.action == PushAction.UPDATE else ""


PUSH = register(
    EventType(
        name="push",
        label="Push messages (RadioManager)",
        build=_push_message,
        sample=_sample_push_job,
        accepts=lambda webhook, job: webhook.watches(job.change.model),
        pacing=Pacing.DEBOUNCE,
        coalesce_key=_update_of_one_object,
        recent=_recent_push_job,
    )
)


# --- studio and encoder events (xtra) ------------------------------------------------------


def _newtrack_event(play: TrackPlay) -> dict[str, Any]:
    return payloads.newtrack_event(
        timestamp=play.played_at,
        station_id=play.station.public_id,
        station_name=play.station.name,
        track_id=play.public_id,
        title=play.title,
        artist=play.artist,
        album=play.album,
        duration=play.duration,
    )


def _sample_track_play(*, webhook, actor, now: datetime) -> TrackPlay:
    return TrackPlay(
        station=webhook.station,
        public_id="med_test",
        title="Test Track",
        artist="StationHooks",
        album="Test Events",
        duration=180,
        played_at=now,
    )


def _recent_track_play(*, webhook, actor, now: datetime) -> tuple[TrackPlay, str] | None:
    play = webhook.station.track_plays.order_by("-played_at").first()
    return (play, f"the last track played ({play.artist} – {play.title})") if play else None


NEWTRACK = register(
    EventType(
        name="station.studio.newtrack",
        label="station.studio.newtrack",
        build=_newtrack_event,
        sample=_sample_track_play,
        pacing=Pacing.THROTTLE,
        recent=_recent_track_play,
    )
)


def _encoder_statuschange_event(change: EncoderStatusChange) -> dict[str, Any]:
    encoder, station = change.encoder, change.encoder.station
    return payloads.encoder_statuschange_event(
        timestamp=change.changed_at,
        station_id=station.public_id,
        station_name=station.name,
        encoder_id=encoder.public_id,
        encoder_name=encoder.name,
        status=change.status,
        previous_status=change.previous_status,
    )


def _sample_encoder_change(*, webhook, actor, now: datetime) -> EncoderStatusChange:
    station = webhook.station
    encoder = station.encoders.first() or Encoder(
        station=station, public_id="enc_test", name="Test Encoder"
    )
    return EncoderStatusChange(
        encoder=encoder,
        status=EncoderStatus.CONNECTED,
        previous_status=EncoderStatus.DISCONNECTED,
        changed_at=now,
    )


def _recent_encoder_change(
    *, webhook, actor, now: datetime
) -> tuple[EncoderStatusChange, str] | None:
    """The station's most recently changed encoder, as it is now."""
    encoder = webhook.station.encoders.order_by("-updated_at").first()
    if encoder is None:
        return None
    previous = (
        EncoderStatus.DISCONNECTED
        if encoder.status == EncoderStatus.CONNECTED
        else EncoderStatus.CONNECTED
    )
    change = EncoderStatusChange(
        encoder=encoder, status=encoder.status, previous_status=previous, changed_at=now
    )
    return change, f"encoder {encoder.name}, {encoder.status} now"


ENCODER_STATUS = register(
    EventType(
        name="station.encoder.statuschange",
        label="station.encoder.statuschange",
        build=_encoder_statuschange_event,
        sample=_sample_encoder_change,
        recent=_recent_encoder_change,
    )
)


# --- stream alerts (Radio Mast) ---------------------------------------------------------


@dataclass(frozen=True)
class StreamAlert:
    """A stream (None: all of the station's streams) went `down` or came back `up` at
    `at`, for an alert policy whose notify webhooks are `contact_ids`. An all-streams
    policy's `up` names the streams `back_up` and those `still_down`."""

    station: Station
    stream: Stream | None
    alert_type: str
    at: datetime
    contact_ids: frozenset[int] = frozenset()
    back_up: tuple[str, ...] = ()
    still_down: tuple[str, ...] = ()

    @property
    def station_id(self) -> int:
        return self.station.pk


def _stream_alert(alert: StreamAlert) -> dict[str, Any]:
    stream = alert.stream
    subject = None
    if stream is not None:
        subject = payloads.alert_stream(
            stream_id=str(stream.uuid),
            name=stream.name,
            listening_url=stream.listening_url,
            silence=bool(stream.is_silent) if stream.silence_detection else None,
        )
    return payloads.stream_alert(
        timestamp=alert.at,
        event_type=alert.alert_type,
        station_id=str(alert.station.uuid),
        station_name=alert.station.name,
        stream=subject,
        back_up=alert.back_up,
        still_down=alert.still_down,
    )


def _sample_stream_alert(*, webhook, actor, now: datetime) -> StreamAlert:
    """The station's first stream going down (not silent), or all streams."""
    stream = webhook.station.streams.first()
    if stream is not None:
        stream.is_silent = False
    return StreamAlert(station=webhook.station, stream=stream, alert_type="down", at=now)


def _recent_stream_alert(*, webhook, actor, now: datetime) -> tuple[StreamAlert, str] | None:
    alert = _sample_stream_alert(webhook=webhook, actor=actor, now=now)
    return (alert, f"stream {alert.stream.name} going down") if alert.stream else None


STREAM_ALERT = register(
    EventType(
        name="stream.alert",
        label="Stream alert contact (Radio Mast)",
        build=_stream_alert,
        sample=_sample_stream_alert,
        recent=_recent_stream_alert,
        accepts=lambda webhook, alert: webhook.pk in alert.contact_ids,
    )
)


# --- relayed inbound requests (generic and Standard Webhooks sources) -------------------


@dataclass(frozen=True)
class RelayedRequest:
    """An accepted request of an inbound source (webhooks.gateway), relayed as it came to
    the relay webhooks the source names (`webhook_ids`). `body` is its JSON text."""

    station_id: int
    body: str
    webhook_ids: frozenset[int] = frozenset()


def _relayed_body(relayed: RelayedRequest) -> Any:
    return json.loads(relayed.body)


def _sample_relayed_request(*, webhook, actor, now: datetime) -> RelayedRequest:
    body = json.dumps({"type": "test", "message": "A relayed request would look like this."})
    return RelayedRequest(station_id=webhook.station_id, body=body)


INBOUND_RELAY = register(
    EventType(
        name="inbound.relay",
        label="Relay of an inbound source (generic, Standard Webhooks)",
        build=_relayed_body,
        sample=_sample_relayed_request,
        accepts=lambda webhook, relayed: webhook.pk in relayed.webhook_ids,
    )
)
