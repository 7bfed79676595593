"""Admin for streams (their monitoring state and uptime) and the check log (read-only)."""

from django.contrib import admin
from django.template.loader import render_to_string
from django.utils import timezone

from stations.admin.display import ReadOnlyAdminMixin
from stations.models import Stream, StreamCheck
from stations.scoping import ScopedRelatedFilter, StationScopedAdmin
from stations.selectors import recent_checks, streams_with_uptime
from stations.states import badge

__all__ = ["StreamAdmin", "StreamCheckAdmin"]

RECENT_CHECKS_SHOWN = 20
MONITORING_FIELDS = [
    "state",
    "state_changed_at",
    "last_checked_at",
    "last_check_reason",
    "uptime_24h",
    "uptime_7d",
    "recent_checks",
    "created_at",
    "updated_at",
]


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{100 * share:.1f} %"


@admin.register(Stream)
class StreamAdmin(StationScopedAdmin):
    list_display = [
        "name",
        "station",
        "state",
        "state_changed_at",
        "last_checked_at",
        "uptime_24h",
        "uptime_7d",
        "monitored",
        "silence_detection",
    ]
    list_filter = [("station", ScopedRelatedFilter), "monitored", "is_up", "silence_detection"]
    list_select_related = ["station"]
    search_fields = ["name", "listening_url", "=uuid"]
    readonly_fields = ["uuid", *MONITORING_FIELDS]
    fieldsets = [
        (None, {"fields": ["station", "name", "listening_url", "uuid", "monitored"]}),
        (
            "Silence detection",
            {"fields": ["silence_detection", "silence_threshold_dbfs", "silence_min_duration_s"]},
        ),
        ("Monitoring", {"fields": MONITORING_FIELDS}),
    ]

    def get_queryset(self, request):
        return streams_with_uptime(super().get_queryset(request), now=timezone.now())

    @admin.display(description="state", ordering="is_up")
    def state(self, obj):
        return badge(obj.state)

    @admin.display(description="uptime 24 h", ordering="uptime_24h_share")
    def uptime_24h(self, obj):
        return _percent(obj.uptime_24h_share)

    @admin.display(description="uptime 7 d", ordering="uptime_7d_share")
    def uptime_7d(self, obj):
        return _percent(obj.uptime_7d_share)

    @admin.display(description="recent checks")
    def recent_checks(self, obj):
        return render_to_string(
            "admin/stations/stream/recent_checks.html",
            {"stream": obj, "checks": recent_checks(obj, limit=RECENT_CHECKS_SHOWN)},
        )


@admin.register(StreamCheck)
class StreamCheckAdmin(ReadOnlyAdminMixin, StationScopedAdmin):
    """The check log, read-only. Large (a row per stream per minute), so no full count."""

    station_path = "stream__station"
    deletable = False
    list_display = ["checked_at", "stream", "station", "state", "latency", "source", "reason"]
    list_filter = [
        ("stream__station", ScopedRelatedFilter),
        ("stream", ScopedRelatedFilter),
        "source",
        "is_up",
    ]
    list_select_related = ["stream__station"]
    search_fields = ["reason"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    ordering = ["-checked_at"]
    fields = ["stream", "checked_at", "is_up", "silence", "latency_ms", "source", "reason"]
    readonly_fields = fields

    @admin.display(description="station")
    def station(self, obj):
        return obj.stream.station

    @admin.display(description="state", ordering="is_up")
    def state(self, obj):
        return badge(obj.state)

    @admin.display(description="latency", ordering="latency_ms")
    def latency(self, obj):
        return "-" if obj.latency_ms is None else f"{obj.latency_ms} ms"
