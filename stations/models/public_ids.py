"""Public ids: what payloads and the API show instead of database ids, prefixed by kind
(`sta_…`, `enc_…`, `med_…`) as xtra's events show them."""

import re
import secrets

__all__ = [
    "ENCODER_PUBLIC_ID",
    "new_encoder_public_id",
    "new_station_public_id",
    "new_track_play_public_id",
]

ENCODER_PUBLIC_ID = re.compile(r"enc_[0-9a-zA-Z]{1,28}")
"""What an encoder's public id may look like (generated ones and those taken over from
another system's reports)."""


def _public_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(6)}"


def new_station_public_id() -> str:
    return _public_id("sta")


def new_track_play_public_id() -> str:
    """64 random bits: plays pile up by the million, unlike stations and encoders."""
    return f"med_{secrets.token_hex(8)}"


def new_encoder_public_id() -> str:
    return _public_id("enc")
