from django.apps import AppConfig


class StationsConfig(AppConfig):
    name = "stations"
    verbose_name = "Station data"

    def ready(self):
        from django.db.models.signals import post_migrate

        from stations import tasks  # noqa: F401  (declares its periodic jobs)
        from stations.changes import connect_link_changes
        from stations.permissions import sync_roles

        connect_link_changes()
        post_migrate.connect(sync_roles, dispatch_uid="stationhooks-sync-roles")
