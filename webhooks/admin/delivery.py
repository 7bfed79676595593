"""The delivery log: read-only, searchable by exact ids, with each delivery's attempts and
a redeliver action."""

import json

from django.contrib import admin, messages
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from stations.admin.display import ReadOnlyAdminMixin, ReadOnlyInline
from stations.scoping import ScopedRelatedFilter, StationScopedAdmin
from stations.states import badge
from webhooks import services
from webhooks.admin import views
from webhooks.admin.paginator import EstimatedCountPaginator
from webhooks.choices import DeliveryStatus
from webhooks.models import Delivery, DeliveryAttempt
from webhooks.selectors import deliveries_matching

__all__ = ["DeliveryAdmin", "DeliveryAttemptInline"]


class DeliveryAttemptInline(ReadOnlyInline):
    model = DeliveryAttempt
    fields = [
        "number",
        "manual",
        "started_at",
        "duration_ms",
        "response_status",
        "error",
        "request_headers",
        "response_headers",
        "response_body",
    ]
    readonly_fields = fields


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdminMixin, StationScopedAdmin):
    change_form_template = "admin/webhooks/delivery/change_form.html"
    list_display = [
        "id",
        "created_at",
        "station",
        "webhook",
        "event_type",
        "status_badge",
        "attempt_count",
        "last_status_code",
        "next_attempt_at",
    ]
    list_filter = [
        ("station", ScopedRelatedFilter),
        ("webhook", ScopedRelatedFilter),
        "event_type",
        "status",
        "created_at",
    ]
    search_fields = ["=event__message_id"]
    search_help_text = "A webhook-id (msg_…), or a number: job_id, model_id or delivery id."
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = EstimatedCountPaginator
    ordering = ["-created_at"]
    inlines = [DeliveryAttemptInline]
    actions = ["redeliver"]
    readonly_fields = [
        "event_type",
        "station",
        "webhook",
        "status_badge",
        "message_id",
        "job_id",
        "attempt_count",
        "auto_retry",
        "next_attempt_at",
        "lease_expires_at",
        "last_status_code",
        "last_error",
        "created_at",
        "finished_at",
        "body",
    ]
    fields = readonly_fields

    def get_queryset(self, request):
        """With the station and webhook every row of the list shows, and the event the
        detail page shows. (The changelist ignores `list_select_related` once the queryset
        selects related objects: listing them there alone cost two queries per row.)"""
        return super().get_queryset(request).select_related("event", "station", "webhook")

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        return deliveries_matching(queryset, term), False

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj):
        """The status; a pending delivery its endpoint's breaker holds says so, and when
        the endpoint is tried next."""
        now = timezone.now()
        held_until = obj.webhook.breaker_retry_at
        if obj.status == DeliveryStatus.PENDING and held_until and obj.next_attempt_at >= now:
            next_try = max(held_until, obj.next_attempt_at)
            return badge("held", f"held: endpoint failing, next try at {next_try:%H:%M} UTC")
        return badge(obj.status)

    @admin.display(description="webhook-id")
    def message_id(self, obj):
        return obj.event.message_id

    @admin.display(description="job_id")
    def job_id(self, obj):
        return obj.event.job_id

    @admin.display(description="body")
    def body(self, obj):
        return render_to_string(
            "admin/webhooks/delivery/body.html",
            {"body": json.dumps(json.loads(obj.event.body), indent=2)},
        )

    def get_urls(self):
        return [
            path(
                "<int:pk>/redeliver/",
                self.admin_site.admin_view(views.page_of(self, views.redeliver_delivery)),
                name="webhooks_delivery_redeliver",
            ),
            *super().get_urls(),
        ]

    @admin.action(description="Redeliver selected deliveries")
    def redeliver(self, request, queryset):
        count = services.deliveries_redeliver(deliveries=queryset)
        log = reverse("admin:webhooks_delivery_changelist") + "?status__exact=pending"
        self.message_user(
            request,
            format_html(
                '{} deliveries queued again. <a href="{}">Follow the ones still pending</a>.',
                count,
                log,
            ),
            messages.SUCCESS,
        )
