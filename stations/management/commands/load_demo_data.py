from datetime import datetime, time, timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from stations.demo import load_demo_station
from stations.models import Station


class Command(BaseCommand):
    help = "Load a demo station with a week of schedule, only if there is no station yet."

    def handle(self, *args, **options):
        if Station.objects.exists():
            self.stdout.write("Stations exist already; demo data not loaded.")
            return
        today = timezone.now().date()
        monday = today - timedelta(days=today.weekday())
        station = load_demo_station(
            week_start=datetime.combine(monday, time(0), tzinfo=timezone.get_current_timezone())
        )
        self.stdout.write(self.style.SUCCESS(f"Loaded demo station {station.name!r}."))
