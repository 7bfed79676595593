"""Station data, faithful to RadioManager's public API (v2 SDK field names), one module
per concern:

- station: the Station;
- records: what the six push models share (soft delete, change tracking);
- programming: the six push models;
- studio: encoders and track plays;
- streams: streams and their checks;
- api_key: keys to the REST API and inbound hooks;
- public_ids: the prefixed ids payloads show.
"""

from stations.models.api_key import ApiKey
from stations.models.programming import Broadcast, Campaign, Contact, Item, Presenter, Program
from stations.models.public_ids import (
    new_encoder_public_id,
    new_station_public_id,
    new_track_play_public_id,
)
from stations.models.records import StationRecord
from stations.models.station import Station
from stations.models.streams import Stream, StreamCheck
from stations.models.studio import Encoder, TrackPlay

__all__ = [
    "ApiKey",
    "Broadcast",
    "Campaign",
    "Contact",
    "Encoder",
    "Item",
    "Presenter",
    "Program",
    "Station",
    "StationRecord",
    "Stream",
    "StreamCheck",
    "TrackPlay",
    "new_encoder_public_id",
    "new_station_public_id",
    "new_track_play_public_id",
]
