"""What an event is about, read from its body: a short label and a link to the object's
admin page (the Program, Broadcast… a push message names; the track play, encoder or
stream of the other families), so an operator goes from a delivery to its cause in one
click. Pure apart from reversing URLs; no query (the log shows one per row)."""

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse

from webhooks import event_types

__all__ = ["Subject", "subject_of"]


@dataclass(frozen=True)
class Subject:
    label: str
    url: str | None = None


def _search(changelist: str, term: str) -> str:
    return f"{reverse(changelist)}?{urlencode({'q': term})}"


def _push(body: dict[str, Any], is_test: bool) -> Subject:
    model, model_id, action = body.get("model"), body.get("model_id"), body.get("action")
    label = f"{model} {model_id} · {action}"
    if is_test or not model_id:
        return Subject(label)
    try:
        return Subject(label, reverse(f"admin:stations_{model}_change", args=[model_id]))
    except NoReverseMatch:
        return Subject(label)


def _track(body: dict[str, Any], is_test: bool) -> Subject:
    track = body.get("track") or {}
    label = " - ".join(part for part in (track.get("artist"), track.get("title")) if part)
    if is_test or not track.get("id"):
        return Subject(label or "track")
    return Subject(
        label or track["id"], _search("admin:stations_trackplay_changelist", track["id"])
    )


def _encoder(body: dict[str, Any], is_test: bool) -> Subject:
    encoder = body.get("encoder") or {}
    name, status = encoder.get("name", "encoder"), encoder.get("status")
    label = f"{name}: {encoder.get('previousStatus')} → {status}"
    if is_test or not encoder.get("id"):
        return Subject(label)
    return Subject(label, _search("admin:stations_encoder_changelist", encoder["id"]))


def _stream_alert(body: dict[str, Any], is_test: bool) -> Subject:
    event = body.get("event") or {}
    stream = event.get("stream")
    label = f"{stream['name'] if stream else 'all streams'} {event.get('type', '')}".strip()
    if is_test or not stream:
        return Subject(label)
    return Subject(label, _search("admin:stations_stream_changelist", stream["id"]))


_READERS = {
    event_types.PUSH.name: _push,
    event_types.NEWTRACK.name: _track,
    event_types.ENCODER_STATUS.name: _encoder,
    event_types.STREAM_ALERT.name: _stream_alert,
}


def subject_of(*, event_type: str, body: str, is_test: bool) -> Subject | None:
    """The subject of an event of `event_type` with the JSON `body`; None when the body
    says nothing readable (an unknown type, or not an object)."""
    reader = _READERS.get(event_type)
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    if reader is None or not isinstance(parsed, dict):
        return None
    return reader(parsed, is_test)
