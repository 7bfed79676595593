"""The vendors' body shapes, one pure function per family, key for key as docs/payloads.md
states the contract (webhooks/event_types.py maps each domain object onto them):

- push messages: RadioManager Push API: integer ids, no object data;
- studio/encoder events: xtra: ISO-8601 UTC `timestamp`, prefixed ids;
- stream alerts: Radio Mast: UNIX `timestamp`, UUIDs, `stream` may be null.

Key order follows the vendors' examples. `encode_body` freezes a payload into the bytes
every attempt of every delivery sends.
"""

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "alert_stream",
    "alert_summary",
    "encode_body",
    "encoder_statuschange_event",
    "iso_timestamp",
    "newtrack_event",
    "push_message",
    "stream_alert",
]


def encode_body(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def iso_timestamp(moment: datetime) -> str:
    """`2026-01-26T14:30:00Z`: UTC, whole seconds, as xtra shows it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def push_message(
    *,
    action: str,
    model: str,
    model_id: int,
    job_id: int,
    resync: bool,
    station_id: int,
    user_id: int | None,
    api_id: int | None,
) -> dict[str, Any]:
    return {
        "action": action,
        "model": model,
        "model_id": model_id,
        "job_id": job_id,
        "resync": resync,
        "station_id": station_id,
        "user_id": user_id,
        "api_id": api_id,
    }


def newtrack_event(
    *,
    timestamp: datetime,
    station_id: str,
    station_name: str,
    track_id: str,
    title: str,
    artist: str,
    album: str,
    duration: int,
) -> dict[str, Any]:
    return {
        "event": "station.studio.newtrack",
        "timestamp": iso_timestamp(timestamp),
        "station": {"id": station_id, "name": station_name},
        "track": {
            "id": track_id,
            "title": title,
            "artist": artist,
            "album": album,
            "duration": duration,
        },
    }


def encoder_statuschange_event(
    *,
    timestamp: datetime,
    station_id: str,
    station_name: str,
    encoder_id: str,
    encoder_name: str,
    status: str,
    previous_status: str,
) -> dict[str, Any]:
    return {
        "event": "station.encoder.statuschange",
        "timestamp": iso_timestamp(timestamp),
        "station": {"id": station_id, "name": station_name},
        "encoder": {
            "id": encoder_id,
            "name": encoder_name,
            "status": status,
            "previousStatus": previous_status,
        },
    }


def alert_stream(
    *, stream_id: str, name: str, listening_url: str, silence: bool | None
) -> dict[str, Any]:
    """`event.stream` of an alert. `silence` is None when silence detection is off for
    the stream, and the key is then left out, as Radio Mast does."""
    subject: dict[str, Any] = {"id": stream_id, "name": name, "listening_url": listening_url}
    if silence is not None:
        subject["silence"] = silence
    return subject


def alert_summary(
    *,
    station_name: str,
    event_type: str,
    stream_name: str | None,
    back_up: Sequence[str] = (),
    still_down: Sequence[str] = (),
) -> str:
    """Radio Mast's summary, "<station> Alert: <stream> is <type>". An all-streams
    policy's outage ends when one stream is back while others may still be down: its `up`
    names the streams back up and those still down ("Stream 2 is up, Stream 1 still
    down"), and says "All streams are up" only when none is down."""
    if stream_name is not None:
        subject = f"{stream_name} is {event_type}"
    elif event_type == "up" and back_up and still_down:
        verb = "is" if len(back_up) == 1 else "are"
        subject = f"{', '.join(back_up)} {verb} up, {', '.join(still_down)} still down"
    else:
        subject = f"All streams are {event_type}"
    return f"{station_name} Alert: {subject}"


def stream_alert(
    *,
    timestamp: datetime,
    event_type: str,
    station_id: str,
    station_name: str,
    stream: dict[str, Any] | None,
    back_up: Sequence[str] = (),
    still_down: Sequence[str] = (),
) -> dict[str, Any]:
    """`stream` is `alert_stream(...)`, or None when a policy fires for all streams
    (`back_up` and `still_down` then name the streams, for the summary).
    `timestamp` becomes whole UNIX seconds."""
    return {
        "timestamp": int(timestamp.timestamp()),
        "summary": alert_summary(
            station_name=station_name,
            event_type=event_type,
            stream_name=stream["name"] if stream else None,
            back_up=back_up,
            still_down=still_down,
        ),
        "event": {
            "type": event_type,
            "stream": stream,
            "station": {"id": station_id, "name": station_name},
        },
    }
