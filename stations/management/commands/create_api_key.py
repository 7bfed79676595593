from django.core.management.base import BaseCommand, CommandError

from stations.api_keys import api_key_create
from stations.models import Station


class Command(BaseCommand):
    help = (
        "Create an API key for a station and print it. The key is stored hashed: this is "
        "the only time it is shown. Only the key goes to stdout, for scripts: "
        "KEY=$(python manage.py create_api_key 1 playout)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "station_id", help="The station's id (a number) or public id (sta_...)."
        )
        parser.add_argument("name", help='Who will use the key, e.g. "Playout studio 1".')

    def handle(self, *args, station_id: str, name: str, **options):
        is_number = station_id.isdecimal() and len(station_id) <= 18
        lookup = {"pk": int(station_id)} if is_number else {"public_id": station_id}
        station = Station.objects.filter(**lookup).first()
        if station is None:
            raise CommandError(f"No station with id {station_id}.")
        if not name.strip():
            raise CommandError("The key needs a name.")
        api_key, raw_key = api_key_create(station=station, name=name.strip()[:100])
        self.stderr.write(f"API key {api_key.prefix}… '{api_key.name}' for {station.name}:")
        self.stdout.write(raw_key)
