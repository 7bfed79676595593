from django.apps import AppConfig


class StationsConfig(AppConfig):
    name = "stations"
    verbose_name = "Station data"

    def ready(self):
        from stations import tasks  # noqa: F401  (declares its periodic jobs)
        from stations.changes import connect_link_changes

        connect_link_changes()
