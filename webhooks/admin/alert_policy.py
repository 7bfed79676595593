"""Alert policies: who hears about which stream outages, with the outages each tracks."""

from django.contrib import admin

from stations.admin.display import ReadOnlyInline
from stations.scoping import ScopedRelatedFilter, StationScopedAdmin
from webhooks.forms import AlertPolicyForm
from webhooks.models import AlertPolicy, AlertState

__all__ = ["AlertPolicyAdmin", "AlertStateInline"]


class AlertStateInline(ReadOnlyInline):
    """The outages the policy is tracking right now (read-only)."""

    model = AlertState
    verbose_name = "current outage"
    verbose_name_plural = "current outages"
    fields = ["stream", "down_since", "down_sent_at"]
    readonly_fields = fields


@admin.register(AlertPolicy)
class AlertPolicyAdmin(StationScopedAdmin):
    form = AlertPolicyForm
    list_display = [
        "name",
        "station",
        "condition",
        "grace_minutes",
        "notify_recovery",
        "enabled",
        "covered_streams",
        "contact_names",
    ]
    list_editable = ["enabled"]
    list_filter = [("station", ScopedRelatedFilter), "condition", "enabled"]
    list_select_related = ["station"]
    search_fields = ["name"]
    filter_horizontal = ["streams", "contacts"]
    inlines = [AlertStateInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("streams", "contacts")

    @admin.display(description="streams")
    def covered_streams(self, obj):
        return ", ".join(s.name for s in obj.streams.all()) or "all streams"

    @admin.display(description="contacts")
    def contact_names(self, obj):
        return ", ".join(w.name for w in obj.contacts.all()) or "-"
