"""The xtra webhook bodies exactly as xtra documents them (docs/payloads.md),
and a comparison of a received body with them key for key, types included."""

import re

XTRA_NEWTRACK = {
    "event": "station.studio.newtrack",
    "timestamp": "2026-01-26T14:30:00Z",
    "station": {"id": "sta_abc123", "name": "Radio Example"},
    "track": {
        "id": "med_xyz789",
        "title": "Hey Jude",
        "artist": "The Beatles",
        "album": "Past Masters",
        "duration": 431,
    },
}

XTRA_ENCODER_STATUSCHANGE = {
    "event": "station.encoder.statuschange",
    "timestamp": "2026-01-26T14:30:00Z",
    "station": {"id": "sta_abc123", "name": "Radio Example"},
    "encoder": {
        "id": "enc_def456",
        "name": "Main Stream",
        "status": "connected",
        "previousStatus": "disconnected",
    },
}

_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


def assert_same_shape_as_example(received: dict, example: dict) -> None:
    """Same keys in the same order at every level, the same JSON types, the example's
    timestamp format and id prefixes."""

    def walk(got, want, where):
        assert type(got) is type(want), f"{where}: {type(got).__name__}, the example has {want!r}"
        if isinstance(want, dict):
            assert list(got) == list(want), (
                f"{where}: keys {list(got)}, the example has {list(want)}"
            )
            for key in want:
                walk(got[key], want[key], f"{where}.{key}")

    walk(received, example, "body")
    assert _TIMESTAMP.fullmatch(received["timestamp"]), received["timestamp"]
    assert received["station"]["id"].startswith("sta_")
    subject = "track" if "track" in example else "encoder"
    assert received[subject]["id"].startswith(example[subject]["id"][:4])
