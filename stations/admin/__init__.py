"""Admin for station data, one module per concern (importing them registers them)."""

from stations.admin import api_keys, records, station, streams, studio

__all__ = ["api_keys", "records", "station", "streams", "studio"]
