"""The REST API (/api/v1/) and inbound hooks: DRF serializers, views and API-key auth."""

MAX_ID = 2**63 - 1
"""The largest id a 64-bit primary key holds; larger ones are refused before any query
(SQLite raises OverflowError on them)."""
