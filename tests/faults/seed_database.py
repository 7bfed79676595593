"""Seed a database of its own (the private PostgreSQL) for a fault test run in other processes.

    DJANGO_SETTINGS_MODULE=config.settings DATABASE_URL=... \\
        python -m tests.faults.seed_database <receiver-url> <messages>

Creates a station with an API key, a push webhook and a newtrack webhook (both pointing at
the receiver), publishes <messages> newtrack messages without queueing them, and prints
`{"api_key": "<the full key>"}`.
"""

import json
import sys

import django


def seed(receiver_url: str, messages: int) -> dict:
    from django.db import transaction

    from tests.factories import ApiKeyFactory, WebhookFactory
    from tests.faults.runs import publish_tracks_unqueued
    from webhooks.event_types import PUSH

    with transaction.atomic():
        api_key = ApiKeyFactory()
        WebhookFactory(station=api_key.station, url=receiver_url, event_type=PUSH.name)
        tracks = WebhookFactory(station=api_key.station, url=receiver_url)
        publish_tracks_unqueued(tracks, messages)
    return {"api_key": api_key.raw_key}


if __name__ == "__main__":
    django.setup()
    print(json.dumps(seed(sys.argv[1], int(sys.argv[2]))))
