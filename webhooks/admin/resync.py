"""Manual resync: the form that starts one (a window in the station's time zone, with a
preview of what it holds), and the jobs' progress, read-only; the list refreshes itself
while one runs. Thin: the work is in webhooks.resync."""

from datetime import UTC

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils import timezone

from stations import permissions
from stations.admin.display import ReadOnlyAdminMixin
from stations.scoping import ScopedRelatedFilter, StationScopedAdmin
from webhooks.event_types import PUSH
from webhooks.forms import ResyncForm
from webhooks.models import ResyncJob
from webhooks.resync import ResyncRefused, current_week, resync_counts, start_resync
from webhooks.selectors import resync_in_progress

__all__ = ["ResyncJobAdmin", "manual_resync"]


def manual_resync(model_admin: admin.ModelAdmin, request: HttpRequest) -> HttpResponse:
    """The window form of Manual Resync (one job per selected push webhook). It reads
    times in the stations' time zone (UTC when the selected webhooks' stations differ),
    starts with the station's current week, and Preview counts what the window holds."""
    permissions.require(model_admin, request, "resync")
    ids = [int(pk) for pk in request.GET.get("ids", "").split(",") if pk.isdigit()]
    webhooks = list(
        model_admin.get_queryset(request)
        .filter(pk__in=ids, event_type=PUSH.name)
        .select_related("station")
    )
    if not webhooks or not all(model_admin.has_change_permission(request, w) for w in webhooks):
        model_admin.message_user(request, "Select push webhooks you may change.", messages.ERROR)
        return redirect("admin:webhooks_webhook_changelist")
    zones = {w.station.zone for w in webhooks}
    zone = zones.pop() if len(zones) == 1 else UTC
    start, end = current_week(zone, timezone.now())
    form = ResyncForm(
        request.POST or None,
        initial={
            "window_start": start.replace(tzinfo=None),
            "window_end": end.replace(tzinfo=None),
        },
    )
    with timezone.override(zone):
        valid = request.method == "POST" and form.is_valid()
    if valid and "start" in request.POST:
        for webhook in webhooks:
            try:
                start_resync(
                    webhook=webhook,
                    started_by=request.user,
                    window_start=form.cleaned_data["window_start"],
                    window_end=form.cleaned_data["window_end"],
                )
                model_admin.log_change(request, webhook, "Started a resync.")
                model_admin.message_user(request, f"Resync of {webhook.name} started.")
            except ResyncRefused as refused:
                model_admin.message_user(request, str(refused), messages.ERROR)
        return redirect("admin:webhooks_resyncjob_changelist")
    if request.method == "POST" and not valid:
        window = None
    elif valid:
        window = (form.cleaned_data["window_start"], form.cleaned_data["window_end"])
    else:
        window = (start, end)
    previews = (
        [
            (w, resync_counts(webhook=w, window_start=window[0], window_end=window[1]))
            for w in webhooks
        ]
        if window
        else []
    )
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Manual resync",
        "opts": model_admin.model._meta,
        "webhooks": webhooks,
        "form": form,
        "zone": zone,
        "previews": previews,
        "window": window,
    }
    return TemplateResponse(request, "admin/webhooks/webhook/resync.html", context)


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
