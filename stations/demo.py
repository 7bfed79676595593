"""A realistic demo week for one station, used by `make run` on an empty database."""

import random
from datetime import datetime, time, timedelta

from django.db import transaction

from stations.choices import EncoderStatus, ItemStatus
from stations.models import (
    Broadcast,
    Campaign,
    Contact,
    Encoder,
    Item,
    Presenter,
    Program,
    Station,
    Stream,
)

__all__ = ["load_demo_station"]

PRESENTERS = [("Anna", "de Vries"), ("Bram", "Jansen"), ("Chloé", "Martin"), ("Dev", "Patel")]
# (title, genre, first hour, hours long, presenter indexes)
PROGRAMS = [
    ("Morning Drive", "Talk & Music", 6, 3, [0, 1]),
    ("Midday Mix", "Pop", 9, 3, [2]),
    ("Lunch Report", "News", 12, 3, [1]),
    ("Afternoon Vibes", "Soul", 15, 3, [3]),
    ("Evening Jazz", "Jazz", 18, 3, [2, 3]),
    ("Night Shift", "Electronic", 21, 3, [0]),
]
TRACKS = [
    ("Hey Jude", "The Beatles", 431),
    ("Superstition", "Stevie Wonder", 245),
    ("So What", "Miles Davis", 562),
    ("Dancing Queen", "ABBA", 231),
    ("Windowlicker", "Aphex Twin", 367),
    ("Respect", "Aretha Franklin", 147),
    ("Take Five", "The Dave Brubeck Quartet", 324),
    ("Blue Monday", "New Order", 449),
]
CONTACTS = [
    ("Eva", "Bakker", "eva@bakkerij.example"),
    ("Frank", "Visser", "frank@garage-visser.example"),
    ("Greta", "Smit", "greta@smit-advocaten.example"),
    ("Hugo", "Mulder", "hugo@fietsenmulder.example"),
]


@transaction.atomic
def load_demo_station(*, week_start: datetime) -> Station:
    """Create "Radio Example" with a full week of schedule starting at `week_start`
    (midnight, aware): six daily programs, their broadcasts, tracks and ad spots."""
    rng = random.Random(7)
    station = Station.objects.create(name="Radio Example", short_name="REX")
    presenters = [
        Presenter.objects.create(
            station=station, firstname=first, lastname=last, name=f"{first} {last}"
        )
        for first, last in PRESENTERS
    ]
    contacts = [
        Contact.objects.create(station=station, firstname=first, lastname=last, email=email)
        for first, last, email in CONTACTS
    ]
    campaigns = [
        Campaign.objects.create(
            station=station,
            title=title,
            start=week_start + timedelta(days=offset),
            stop=week_start + timedelta(days=offset + length),
        )
        for title, offset, length in [
            ("Bakery Spring Sale", 0, 7),
            ("Garage Winter Check", 2, 3),
            ("Bike Week", 4, 3),
        ]
    ]
    Encoder.objects.create(station=station, name="Main Stream", status=EncoderStatus.CONNECTED)
    Stream.objects.create(
        station=station, name="Stream 1", listening_url="http://127.0.0.1:8001/live.mp3"
    )
    Stream.objects.create(
        station=station,
        name="Stream 2 (AAC)",
        listening_url="http://127.0.0.1:8001/live.aac",
        silence_detection=True,
    )

    items = []
    for title, genre, hour, hours, presenter_ids in PROGRAMS:
        program = Program.objects.create(
            station=station, title=title, genre=genre, language="en", short_name=title[:10]
        )
        program.presenters.set([presenters[i] for i in presenter_ids])
        for day in range(7):
            start = datetime.combine(
                (week_start + timedelta(days=day)).date(), time(hour), tzinfo=week_start.tzinfo
            )
            broadcast = Broadcast.objects.create(
                station=station,
                program=program,
                title=title,
                start=start,
                stop=start + timedelta(hours=hours),
            )
            broadcast.presenters.set([presenters[i] for i in presenter_ids])
            items.extend(_fill_broadcast(station, broadcast, campaigns, rng))
    Item.objects.bulk_create(items)
    spots = Item.objects.filter(station=station, campaign__isnull=False)
    Item.contacts.through.objects.bulk_create(
        Item.contacts.through(item_id=item_id, contact=rng.choice(contacts))
        for item_id in spots.values_list("id", flat=True)
    )
    return station


def _fill_broadcast(station, broadcast, campaigns, rng) -> list[Item]:
    """Tracks back to back, with an ad spot of a running campaign every ~30 minutes."""
    items = []
    cursor = broadcast.start
    since_ad = 0
    while cursor < broadcast.stop:
        running = [c for c in campaigns if c.start <= cursor < c.stop]
        if since_ad >= 1800 and running:
            campaign = rng.choice(running)
            title, duration, since_ad = f"Spot: {campaign.title}", 30, 0
        else:
            campaign = None
            track, artist, duration = rng.choice(TRACKS)
            title = f"{artist} - {track}"
            since_ad += duration
        items.append(
            Item(
                station=station,
                broadcast=broadcast,
                campaign=campaign,
                title=title,
                duration=duration,
                status=ItemStatus.SCHEDULED,
                start=cursor,
            )
        )
        cursor += timedelta(seconds=duration)
    return items
