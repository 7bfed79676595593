"""Reading an inbound request's body, as pure functions: the JSON under the hub's JSON input
rules (guards.json_input), the vendor's shape (the fields each kind of source needs, in the
shapes the vendors document), and the key a request is de-duplicated by.

Each reader raises BodyProblem, whose `status` is the answer: 415 for a body that is not
JSON by its Content-Type, 400 for one that is not JSON or lacks what its kind needs.
"""

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.utils.dateparse import parse_datetime
from django.utils.http import parse_header_parameters

from guards.charsets import UnsupportedCharset, charset_codec
from guards.json_input import json_input_loads
from stations.choices import EncoderStatus, PushAction, PushModel
from webhooks.choices import SourceKind

__all__ = [
    "BodyProblem",
    "PushMessage",
    "RadioMastAlert",
    "XtraEncoderStatus",
    "XtraNewTrack",
    "body_text",
    "dedup_key",
    "read_body",
]

XTRA_NEWTRACK = "station.studio.newtrack"
XTRA_ENCODER = "station.encoder.statuschange"
DEDUP_KEY_MAX = 200
MAX_INT64 = 2**63 - 1
MAX_INT32 = 2**31 - 1


class BodyProblem(ValueError):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def body_text(body: bytes, content_type: str) -> str:
    """The body as text: a JSON media type (`application/json`, `…+json`) in the charset
    it names (UTF-8 by default), from the hub's list of charsets."""
    media_type, params = parse_header_parameters(content_type or "")
    if media_type != "application/json" and not (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        shown = media_type or "none"
        raise BodyProblem(f"Content-Type must be application/json, not {shown}.", status=415)
    try:
        return body.decode(charset_codec(params.get("charset", "utf-8")))
    except UnsupportedCharset as unsupported:
        raise BodyProblem(f"{unsupported} in Content-Type.", status=415) from None
    except UnicodeDecodeError:
        raise BodyProblem("The body is not text in its charset.") from None


def _json(text: str, *, allow_nul: bool) -> Any:
    try:
        return json_input_loads(text, allow_nul=allow_nul)
    except ValueError as error:
        raise BodyProblem(f"Malformed JSON: {error}") from None


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BodyProblem(f"{where} must be a JSON object.")
    return value


def _string(data: Mapping, key: str, where: str, *, required: bool = True) -> str:
    value = data.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise BodyProblem(f"{where}.{key} must be a non-empty string.")
    return value


def _integer(
    data: Mapping, key: str, where: str, *, default: int | None = None, most: int = MAX_INT64
) -> int:
    """A whole number from 0 to `most` (a 64-bit column's range by default)."""
    value = data.get(key, default)
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= most:
        raise BodyProblem(f"{where}.{key} must be an integer from 0 to {most}.")
    return value


@dataclass(frozen=True)
class XtraNewTrack:
    title: str
    artist: str
    album: str
    duration: int
    track_id: str
    played_at: datetime | None


@dataclass(frozen=True)
class XtraEncoderStatus:
    encoder_id: str
    name: str
    status: str
    previous_status: str


def _iso_time(value: Any) -> datetime | None:
    moment = parse_datetime(value) if isinstance(value, str) else None
    if moment is None or moment.tzinfo is None:
        return None
    return moment.astimezone(UTC)


def _xtra(data: dict[str, Any]) -> XtraNewTrack | XtraEncoderStatus:
    event = data.get("event")
    if event == XTRA_NEWTRACK:
        track = _object(data.get("track"), "track")
        duration = _integer(track, "duration", "track", default=0, most=MAX_INT32)
        return XtraNewTrack(
            title=_string(track, "title", "track"),
            artist=_string(track, "artist", "track", required=False),
            album=_string(track, "album", "track", required=False),
            duration=duration,
            track_id=_string(track, "id", "track", required=False),
            played_at=_iso_time(data.get("timestamp")),
        )
    if event == XTRA_ENCODER:
        encoder = _object(data.get("encoder"), "encoder")
        statuses = EncoderStatus.values
        status = encoder.get("status")
        previous = encoder.get("previousStatus", status)
        if status not in statuses or previous not in statuses:
            raise BodyProblem(
                f"encoder.status and encoder.previousStatus must be one of {', '.join(statuses)}."
            )
        return XtraEncoderStatus(
            encoder_id=_string(encoder, "id", "encoder"),
            name=_string(encoder, "name", "encoder", required=False),
            status=status,
            previous_status=previous,
        )
    raise BodyProblem(f"event must be {XTRA_NEWTRACK} or {XTRA_ENCODER}.")


@dataclass(frozen=True)
class RadioMastAlert:
    """A Radio Mast alert; `stream_id` is None when the alert is about all streams."""

    alert_type: str
    summary: str
    at: datetime | None
    stream_id: uuid.UUID | None
    stream_name: str
    listening_url: str
    silence: bool | None


def _radiomast(data: dict[str, Any]) -> RadioMastAlert:
    event = _object(data.get("event"), "event")
    alert_type = event.get("type")
    if alert_type not in ("down", "up"):
        raise BodyProblem("event.type must be down or up.")
    timestamp = data.get("timestamp")
    at = None
    if isinstance(timestamp, int) and not isinstance(timestamp, bool) and timestamp >= 0:
        try:
            at = datetime.fromtimestamp(timestamp, UTC)
        except (OverflowError, OSError, ValueError):
            at = None
    stream = event.get("stream")
    summary = data.get("summary") if isinstance(data.get("summary"), str) else ""
    if stream is None:
        return RadioMastAlert(alert_type, summary, at, None, "", "", None)
    stream = _object(stream, "event.stream")
    try:
        stream_id = uuid.UUID(_string(stream, "id", "event.stream"))
    except ValueError:
        raise BodyProblem("event.stream.id must be a UUID.") from None
    silence = stream.get("silence")
    if silence is not None and not isinstance(silence, bool):
        raise BodyProblem("event.stream.silence must be true or false.")
    return RadioMastAlert(
        alert_type=alert_type,
        summary=summary,
        at=at,
        stream_id=stream_id,
        stream_name=_string(stream, "name", "event.stream", required=False),
        listening_url=_string(stream, "listening_url", "event.stream", required=False),
        silence=silence,
    )


@dataclass(frozen=True)
class PushMessage:
    """A RadioManager push message: what the relay routes and orders by."""

    action: str
    model: str
    model_id: int
    job_id: int
    station_id: int


def _radiomanager(data: dict[str, Any]) -> PushMessage:
    action, model = data.get("action"), data.get("model")
    if action not in PushAction.values:
        raise BodyProblem(f"action must be one of {', '.join(PushAction.values)}.")
    if model not in PushModel.values:
        raise BodyProblem(f"model must be one of {', '.join(PushModel.values)}.")
    return PushMessage(
        action=action,
        model=model,
        model_id=_integer(data, "model_id", "body"),
        job_id=_integer(data, "job_id", "body"),
        station_id=_integer(data, "station_id", "body"),
    )


_VENDOR_SHAPES = {
    SourceKind.XTRA: _xtra,
    SourceKind.RADIOMAST: _radiomast,
    SourceKind.RADIOMANAGER: _radiomanager,
}


def read_body(kind: str, body: bytes, content_type: str) -> tuple[str, Any]:
    """The body's text, and what its kind makes of it: an XtraNewTrack or
    XtraEncoderStatus, a RadioMastAlert, a PushMessage, or (generic and Standard Webhooks
    sources, relayed as they are) the parsed JSON."""
    text = body_text(body, content_type)
    shape = _VENDOR_SHAPES.get(kind)
    data = _json(text, allow_nul=shape is None)  # what a vendor's body says goes in columns
    return text, (shape(_object(data, "The body")) if shape else data)


def dedup_key(kind: str, headers: Mapping[str, str], body: bytes, read: Any) -> str:
    """What a request is de-duplicated by: Standard Webhooks' `webhook-id`, RadioManager's
    `(station_id, job_id)`, otherwise the SHA-256 of the body."""
    if kind == SourceKind.STANDARD_WEBHOOKS:
        return f"webhook-id:{headers.get('webhook-id', '').strip()}"[:DEDUP_KEY_MAX]
    if kind == SourceKind.RADIOMANAGER:
        return f"job:{read.station_id}:{read.job_id}"
    return f"sha256:{hashlib.sha256(body).hexdigest()}"
