"""The domain signals of station data: what happened, never who listens.

Each is sent inside the transaction of the change it reports, and Django runs receivers
synchronously, so whatever a receiver writes (webhooks/receivers.py turns them into
events and deliveries) commits or rolls back with the change itself.

- `records_changed(changes)`: objects of the six push models were created, updated,
  deleted or recovered, or their links changed (stations.changes sends it, with a list of
  `Change` merged per object);
- `track_played(play)`: a track started playing (stations.inbound, the TrackPlay);
- `encoder_status_changed(change)`: an encoder's status changed (stations.inbound, an
  EncoderStatusChange);
- `stream_checked(stream, check)`: a stream was observed (stations.monitor, the stream
  with its new state and the StreamCheck);
- `records_purging(model, rows)`: objects of a push model (`rows`: pk, station_id) are
  about to be removed for real (`hard_delete()`); a receiver that knows someone was told
  about one of them refuses by raising PurgeRefused.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.dispatch import Signal

if TYPE_CHECKING:  # stations.models announces changes through this module
    from stations.models import Encoder

__all__ = [
    "EncoderStatusChange",
    "PurgeRefused",
    "encoder_status_changed",
    "records_changed",
    "records_purging",
    "stream_checked",
    "track_played",
]

records_changed = Signal()
track_played = Signal()
encoder_status_changed = Signal()
stream_checked = Signal()
records_purging = Signal()


class PurgeRefused(Exception):
    """A record cannot be removed for real: receivers were told about it (soft-delete
    it instead)."""


@dataclass(frozen=True)
class EncoderStatusChange:
    """An encoder went from `previous_status` to `status` at `changed_at`."""

    encoder: "Encoder"
    status: str
    previous_status: str
    changed_at: datetime

    @property
    def station_id(self) -> int:
        return self.encoder.station_id
