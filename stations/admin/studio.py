"""Admin for what the studio reports: encoders, and the play log (read-only)."""

from django.contrib import admin

from stations.admin.display import ReadOnlyAdminMixin
from stations.models import Encoder, TrackPlay
from stations.scoping import ScopedRelatedFilter, StationScopedAdmin

__all__ = ["EncoderAdmin", "TrackPlayAdmin"]


@admin.register(Encoder)
class EncoderAdmin(StationScopedAdmin):
    list_display = ["name", "station", "status", "public_id", "updated_at"]
    list_filter = [("station", ScopedRelatedFilter), "status"]
    search_fields = ["name", "public_id"]
    readonly_fields = ["public_id", "created_at", "updated_at"]


@admin.register(TrackPlay)
class TrackPlayAdmin(ReadOnlyAdminMixin, StationScopedAdmin):
    """The play log, as reported by playout software; read-only."""

    list_display = ["played_at", "artist", "title", "album", "duration", "station", "source"]
    list_filter = [("station", ScopedRelatedFilter), "source"]
    list_select_related = ["station"]
    search_fields = ["title", "artist", "album", "=public_id", "=external_id"]
    show_full_result_count = False
