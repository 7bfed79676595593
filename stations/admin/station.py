"""Admin for stations: only superusers assign their operators."""

from django.contrib import admin

from stations.models import Station
from stations.scoping import StationScopedAdmin

__all__ = ["StationAdmin"]


@admin.register(Station)
class StationAdmin(StationScopedAdmin):
    station_path = "pk"
    list_display = ["name", "short_name", "timezone", "public_id", "uuid"]
    search_fields = ["name", "short_name"]
    readonly_fields = ["public_id", "uuid", "created_at", "updated_at"]
    filter_horizontal = ["operators"]

    def get_readonly_fields(self, request, obj=None):
        """Only superusers assign operators to stations."""
        if request.user.is_superuser:
            return self.readonly_fields
        return [*self.readonly_fields, "operators"]
