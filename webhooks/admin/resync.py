"""Manual resync jobs: progress of each, read-only; the list refreshes itself while one
runs."""

from django.contrib import admin
from django.template.loader import render_to_string

from stations.admin.display import ReadOnlyAdminMixin
from stations.scoping import ScopedRelatedFilter, StationScopedAdmin
from webhooks.models import ResyncJob
from webhooks.selectors import resync_in_progress

__all__ = ["ResyncJobAdmin"]


@admin.register(ResyncJob)
class ResyncJobAdmin(ReadOnlyAdminMixin, StationScopedAdmin):
    station_path = "webhook__station"
    change_list_template = "admin/webhooks/resyncjob/change_list.html"
    list_display = [
        "id",
        "webhook",
        "status",
        "progress",
        "window_start",
        "window_end",
        "started_by",
        "finished_at",
    ]
    list_filter = ["status", ("webhook__station", ScopedRelatedFilter)]
    list_select_related = ["webhook", "started_by"]
    fields = [
        *list_display[1:],
        "messages_per_model",
        "total",
        "sent",
        "error",
        "created_at",
        "started_at",
    ]
    readonly_fields = fields

    @admin.display(description="progress")
    def progress(self, obj):
        if not obj.total:
            return "0 / 0" if obj.status == ResyncJob.Status.DONE else "-"
        return f"{obj.sent} / {obj.total} ({100 * obj.sent // obj.total} %)"

    @admin.display(description="messages per model")
    def messages_per_model(self, obj):
        return render_to_string(
            "admin/webhooks/resyncjob/counts.html", {"counts": sorted((obj.counts or {}).items())}
        )

    def changelist_view(self, request, extra_context=None):
        """Refreshes itself every 2 s while a resync is queued or running."""
        extra_context = {**(extra_context or {}), "auto_refresh": resync_in_progress()}
        return super().changelist_view(request, extra_context)
