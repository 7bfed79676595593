"""What chat-like formats say about an event: a message text with placeholders, per event
type, and a card (title, description, fields) for services that show one.

Both are read from the event's payload (its frozen body), never from the database, so a
message is the same on every attempt. The operator's message text replaces the default;
`{name}` placeholders take the event's values (escaped for the service's markup by the
format), anything else in braces stays as written.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from webhooks.event_types import ENCODER_STATUS, NEWTRACK, PUSH, STREAM_ALERT
from webhooks.formats.base import FormatProblem, Setting

__all__ = [
    "CARD_SETTING",
    "CHAT_EVENT_TYPES",
    "MESSAGE_SETTING",
    "Card",
    "Message",
    "clip",
    "describe",
    "escape_markdown",
    "message_text",
]

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
MARKDOWN = re.compile(r"([\\*_~`|>])")


@dataclass(frozen=True)
class Card:
    """A service-neutral rich message: Discord makes an embed of it, Slack blocks,
    Mattermost an attachment. `tone` is "good", "bad" or "neutral"."""

    title: str
    description: str = ""
    fields: tuple[tuple[str, str], ...] = ()
    footer: str = ""
    timestamp: str = ""
    tone: str = "neutral"


@dataclass(frozen=True)
class Message:
    values: Mapping[str, str]
    card: Card


@dataclass(frozen=True)
class _Kind:
    default: str
    placeholders: tuple[str, ...]
    describe: Callable[[Mapping[str, Any]], Message] = field(repr=False)


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, with an ellipsis when it was longer."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def escape_markdown(text: str) -> str:
    """`text` shown as it is by Markdown chat (Discord, Mattermost): its emphasis, code,
    strike-through and quote characters backslash-escaped."""
    return MARKDOWN.sub(r"\\\1", text)


def _duration(seconds: Any) -> str:
    seconds = int(seconds or 0)
    return f"{seconds // 60}:{seconds % 60:02d}"


def _track(payload: Mapping[str, Any]) -> Message:
    track, station = payload["track"], payload["station"]
    artist, title = track.get("artist") or "", track.get("title") or ""
    values = {
        "track": f"{artist} – {title}" if artist else title,
        "artist": artist,
        "title": title,
        "album": track.get("album") or "",
        "duration": _duration(track.get("duration")),
        "station": station["name"],
    }
    fields = (("Album", values["album"]),) if values["album"] else ()
    card = Card(
        title=title or values["track"],
        description=artist,
        fields=(*fields, ("Duration", values["duration"])),
        footer=station["name"],
        timestamp=payload["timestamp"],
    )
    return Message(values, card)


def _encoder(payload: Mapping[str, Any]) -> Message:
    encoder, station = payload["encoder"], payload["station"]
    values = {
        "encoder": encoder["name"],
        "status": encoder["status"],
        "previous_status": encoder["previousStatus"],
        "station": station["name"],
    }
    card = Card(
        title=f"Encoder {encoder['name']}",
        description=f"{encoder['status']} (was {encoder['previousStatus']})",
        footer=station["name"],
        timestamp=payload["timestamp"],
        tone="good" if encoder["status"] == "connected" else "bad",
    )
    return Message(values, card)


def _stream_alert(payload: Mapping[str, Any]) -> Message:
    event = payload["event"]
    stream = event["stream"] or {}
    values = {
        "summary": payload["summary"],
        "type": event["type"],
        "stream": stream.get("name", "All streams"),
        "listening_url": stream.get("listening_url", ""),
        "station": event["station"]["name"],
    }
    fields = (("Listening URL", values["listening_url"]),) if stream else ()
    card = Card(
        title=payload["summary"],
        fields=(("Stream", values["stream"]), *fields),
        footer=values["station"],
        timestamp=datetime.fromtimestamp(payload["timestamp"], UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        tone="good" if event["type"] == "up" else "bad",
    )
    return Message(values, card)


PAST_TENSE = {"create": "created", "update": "updated", "delete": "deleted", "recover": "recovered"}


def _push(payload: Mapping[str, Any]) -> Message:
    values = {
        "model": str(payload["model"]).capitalize(),
        "model_id": str(payload["model_id"]),
        "action": PAST_TENSE.get(payload["action"], payload["action"]),
        "job_id": str(payload["job_id"]),
    }
    card = Card(
        title=f"{values['model']} {values['model_id']} {values['action']}",
        fields=(("job_id", values["job_id"]),),
        footer=f"Station {payload['station_id']}",
    )
    return Message(values, card)


KINDS: dict[str, _Kind] = {
    NEWTRACK.name: _Kind(
        "Now playing: {track}", ("track", "artist", "title", "album", "duration", "station"), _track
    ),
    ENCODER_STATUS.name: _Kind(
        "Encoder {encoder} {status}", ("encoder", "status", "previous_status", "station"), _encoder
    ),
    STREAM_ALERT.name: _Kind(
        "{summary}", ("summary", "type", "stream", "listening_url", "station"), _stream_alert
    ),
    PUSH.name: _Kind(
        "{model} {model_id} {action}", ("model", "model_id", "action", "job_id"), _push
    ),
}

# The event types chat-like formats can describe (each declares its own list from these).
CHAT_EVENT_TYPES = frozenset(KINDS)

MESSAGE_SETTING = Setting(
    "message",
    "Message",
    kind="textarea",
    max_length=4000,
    help="Leave empty for the trigger's default. Placeholders: new track {track} (Artist – "
    "Title), {artist}, {title}, {album}, {duration}, {station}; encoder {encoder}, {status}, "
    "{previous_status}, {station}; stream alert {summary}, {stream}, {type}, "
    "{listening_url}, {station}; push {model}, {model_id}, {action}, {job_id}. Defaults: "
    "“Now playing: {track}”, “Encoder {encoder} {status}”, “{summary}”, "
    "“{model} {model_id} {action}”.",
)

CARD_SETTING = Setting(
    "card",
    "Card",
    kind="flag",
    default=True,
    help="Add a card: the track's title, artist, album and duration, the encoder or "
    "stream, and the station (a Discord embed, Slack blocks, a Mattermost attachment).",
)


def describe(event_type: str, payload: Mapping[str, Any]) -> Message:
    """The values and card of an event (KeyError for a type no message describes)."""
    return KINDS[event_type].describe(payload)


def message_text(
    event_type: str,
    payload: Mapping[str, Any],
    template: str,
    escape: Callable[[str], str] = str,
) -> str:
    """The operator's message text (or the type's default) with its placeholders filled
    in, each value passed through `escape` (the service's markup). An unknown placeholder
    is a FormatProblem on the "message" setting."""
    kind = KINDS[event_type]
    values = kind.describe(payload).values

    def fill(match: re.Match) -> str:
        name = match.group(1)
        if name not in values:
            known = ", ".join(f"{{{p}}}" for p in kind.placeholders)
            raise FormatProblem(
                f"Unknown placeholder {{{name}}} for {event_type}: use {known}.",
                setting="message",
            )
        return escape(values[name])

    return PLACEHOLDER.sub(fill, template.strip() or kind.default)
