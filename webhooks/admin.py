"""Admin for webhooks and the delivery log: thin, the logic lives in webhooks.services."""

import json
from datetime import timedelta

from django.contrib import admin, messages
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import IntegerField, OuterRef, Subquery, Sum
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join

from stations.scoping import ScopedRelatedFilter, StationScopedAdmin
from webhooks import services
from webhooks.choices import DeliveryStatus, Trigger
from webhooks.dashboard import bar_chart
from webhooks.forms import AlertPolicyForm, RedeliverFailedSinceForm, ResyncForm, WebhookForm
from webhooks.models import (
    ACTIVE_RESYNC_STATUSES,
    AlertPolicy,
    AlertState,
    Delivery,
    DeliveryAttempt,
    DeliveryStat,
    ResyncJob,
    Webhook,
)
from webhooks.resync import ResyncRefused, start_resync
from webhooks.stats import hourly_outcomes

STATUS_COLOURS = {
    DeliveryStatus.DELIVERED: "#2e7d32",
    DeliveryStatus.FAILED: "#c62828",
    DeliveryStatus.PENDING: "#8a6d00",
}
RECENT_DELIVERIES_SHOWN = 20


def _status_badge(status: str | None) -> str:
    if not status:
        return "-"
    return format_html('<b style="color:{}">{}</b>', STATUS_COLOURS.get(status, "inherit"), status)


def _stat_last_24h(outcome: str) -> Subquery:
    """Sum of one outcome over the webhook's hourly stats of the last 24 h."""
    return Subquery(
        DeliveryStat.objects.filter(
            webhook=OuterRef("pk"), hour__gte=timezone.now() - timedelta(hours=24)
        )
        .order_by()
        .values("webhook")
        .annotate(n=Sum(outcome))
        .values("n"),
        output_field=IntegerField(),
    )


@admin.register(Webhook)
class WebhookAdmin(StationScopedAdmin):
    form = WebhookForm
    change_form_template = "admin/webhooks/webhook/change_form.html"
    list_display = [
        "name",
        "station",
        "trigger",
        "url",
        "enabled",
        "last_delivery",
        "success_rate_24h",
        "masked_secret",
    ]
    list_editable = ["enabled"]
    list_filter = [("station", ScopedRelatedFilter), "trigger", "enabled"]
    list_select_related = ["station"]
    search_fields = ["name", "url"]
    readonly_fields = [
        "masked_secret",
        "masked_key",
        "disabled_reason",
        "disabled_at",
        "consecutive_failures",
        "success_rate_24h",
        "last_24h_chart",
        "recent_deliveries",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["station", "name", "url", "trigger", "models", "enabled"]}),
        ("Pacing", {"fields": ["delay_s", "throttle_s", "debounce_s"]}),
        (
            "Signing and authentication",
            {
                "fields": [
                    "masked_secret",
                    "new_secret",
                    "remove_secret",
                    "masked_key",
                    "new_key",
                    "remove_key",
                ]
            },
        ),
        (
            "Health",
            {
                "fields": [
                    "disabled_reason",
                    "disabled_at",
                    "consecutive_failures",
                    "success_rate_24h",
                    "last_24h_chart",
                    "recent_deliveries",
                    "created_at",
                    "updated_at",
                ]
            },
        ),
    ]
    actions = [
        "send_test_event",
        "manual_resync",
        "rotate_secret",
        "enable_webhooks",
        "disable_webhooks",
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                last_delivery_status=Subquery(
                    Delivery.objects.filter(webhook=OuterRef("pk"))
                    .order_by("-created_at")
                    .values("status")[:1]
                ),
                delivered_24h=_stat_last_24h("delivered"),
                failed_24h=_stat_last_24h("failed"),
            )
        )

    @admin.display(description="last delivery")
    def last_delivery(self, obj):
        return _status_badge(obj.last_delivery_status)

    @admin.display(description="success (24 h)")
    def success_rate_24h(self, obj):
        delivered, failed = obj.delivered_24h or 0, obj.failed_24h or 0
        if not delivered + failed:
            return "-"
        return f"{100 * delivered / (delivered + failed):.0f} % of {delivered + failed}"

    @admin.display(description="secret")
    def masked_secret(self, obj):
        return obj.masked_secret or "(none: unsigned)"

    @admin.display(description="key")
    def masked_key(self, obj):
        return obj.masked_key or "(none)"

    @admin.display(description="last 24 h")
    def last_24h_chart(self, obj):
        bars = bar_chart(hourly_outcomes(now=timezone.now(), webhook=obj), width=240, height=40)
        return render_to_string("admin/webhooks/webhook/sparkline.html", {"bars": bars})

    @admin.display(description="recent deliveries")
    def recent_deliveries(self, obj):
        recent = obj.deliveries.order_by("-created_at")[:RECENT_DELIVERIES_SHOWN]
        rows = format_html_join(
            "",
            '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
            (
                (
                    reverse("admin:webhooks_delivery_change", args=[d.pk]),
                    d.pk,
                    d.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                    _status_badge(d.status),
                    d.attempt_count,
                    d.last_status_code or d.last_error[:80] or "-",
                )
                for d in recent
            ),
        )
        if not rows:
            return "No deliveries yet."
        return format_html(
            "<table><tr><th>id</th><th>created</th><th>status</th><th>attempts</th>"
            "<th>last answer</th></tr>{}</table>",
            rows,
        )

    def save_model(self, request, obj, form, change):
        generated = not change and not form.cleaned_data.get("new_secret") and obj.secret
        super().save_model(request, obj, form, change)
        if change and "enabled" in form.changed_data:
            if obj.enabled:
                services.webhook_enable(webhook=obj)
            else:
                services.webhook_disable(webhook=obj, reason=f"Disabled by {request.user}.")
        if generated:
            self.message_user(
                request,
                f"Generated secret for {obj.name} (shown once, copy it now): {obj.secret}",
                messages.WARNING,
            )

    def get_urls(self):
        return [
            path(
                "<int:pk>/redeliver-failed/",
                self.admin_site.admin_view(self.redeliver_failed_view),
                name="webhooks_webhook_redeliver_failed",
            ),
            path(
                "<int:pk>/send-test/",
                self.admin_site.admin_view(self.send_test_view),
                name="webhooks_webhook_send_test",
            ),
            path(
                "resync/",
                self.admin_site.admin_view(self.resync_view),
                name="webhooks_webhook_resync",
            ),
            *super().get_urls(),
        ]

    @admin.action(description="Manual resync of selected push webhooks…")
    def manual_resync(self, request, queryset):
        ids = ",".join(str(pk) for pk in queryset.values_list("pk", flat=True))
        return redirect(reverse("admin:webhooks_webhook_resync") + f"?ids={ids}")

    def resync_view(self, request):
        """The date-window form of Manual Resync; one job per selected push webhook."""
        ids = [int(pk) for pk in request.GET.get("ids", "").split(",") if pk.isdigit()]
        webhooks = list(self.get_queryset(request).filter(pk__in=ids, trigger=Trigger.PUSH))
        if not webhooks:
            self.message_user(request, "Select at least one push webhook.", messages.ERROR)
            return redirect("admin:webhooks_webhook_changelist")
        today = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
        form = ResyncForm(
            request.POST or None,
            initial={"window_start": today, "window_end": today + timedelta(days=7)},
        )
        if request.method == "POST" and form.is_valid():
            for webhook in webhooks:
                try:
                    start_resync(
                        webhook=webhook,
                        started_by=request.user,
                        window_start=form.cleaned_data["window_start"],
                        window_end=form.cleaned_data["window_end"],
                    )
                    self.message_user(request, f"Resync of {webhook.name} started.")
                except ResyncRefused as refused:
                    self.message_user(request, str(refused), messages.ERROR)
            return redirect("admin:webhooks_resyncjob_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": "Manual resync",
            "opts": self.model._meta,
            "webhooks": webhooks,
            "form": form,
        }
        return TemplateResponse(request, "admin/webhooks/webhook/resync.html", context)

    def redeliver_failed_view(self, request, pk):
        webhook = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_change_permission(request, webhook):
            return redirect("admin:webhooks_webhook_change", pk)
        form = RedeliverFailedSinceForm(
            request.POST or None,
            initial={"since": (timezone.now() - timedelta(days=1)).replace(microsecond=0)},
        )
        if request.method == "POST" and form.is_valid():
            count = services.webhook_redeliver_failed_since(
                webhook=webhook, since=form.cleaned_data["since"]
            )
            self.message_user(
                request,
                f"{count} failed deliveries to {webhook.name} queued again.",
                messages.SUCCESS,
            )
            return redirect("admin:webhooks_webhook_change", pk)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Redeliver failed deliveries to {webhook.name}",
            "opts": self.model._meta,
            "original": webhook,
            "form": form,
        }
        return TemplateResponse(request, "admin/webhooks/webhook/redeliver_failed.html", context)

    @admin.action(description="Send a test event to selected webhooks")
    def send_test_event(self, request, queryset):
        for webhook in queryset.select_related("station"):
            self._send_test_event(request, webhook)

    def _send_test_event(self, request, webhook):
        """Send now and show the receiver's answer (status, time, start of the body)."""
        sent = services.webhook_send_test_event(webhook=webhook, actor=request.user)
        attempt = sent.attempts.last()
        answer = f"HTTP {attempt.response_status}" if attempt.response_status else attempt.error
        body = attempt.response_body[:200]
        self.message_user(
            request,
            f"Test event to {webhook.name}: {answer} in {attempt.duration_ms} ms "
            f"({sent.status})." + (f" Response: {body}" if body else ""),
            messages.SUCCESS if sent.status == DeliveryStatus.DELIVERED else messages.ERROR,
        )

    def send_test_view(self, request, pk):
        webhook = get_object_or_404(self.get_queryset(request), pk=pk)
        if request.method == "POST" and self.has_change_permission(request, webhook):
            self._send_test_event(request, webhook)
        return redirect("admin:webhooks_webhook_change", pk)

    @admin.action(description="Rotate the secret of selected webhooks")
    def rotate_secret(self, request, queryset):
        for webhook in queryset:
            secret = services.webhook_rotate_secret(webhook=webhook)
            self.message_user(
                request,
                f"New secret for {webhook.name} (shown once, copy it now): {secret}",
                messages.WARNING,
            )

    @admin.action(description="Enable selected webhooks")
    def enable_webhooks(self, request, queryset):
        for webhook in queryset:
            services.webhook_enable(webhook=webhook)
        self.message_user(request, f"Enabled {len(queryset)} webhook(s).", messages.SUCCESS)

    @admin.action(description="Disable selected webhooks")
    def disable_webhooks(self, request, queryset):
        for webhook in queryset:
            services.webhook_disable(webhook=webhook, reason=f"Disabled by {request.user}.")
        self.message_user(request, f"Disabled {len(queryset)} webhook(s).", messages.SUCCESS)


class EstimatedCountPaginator(Paginator):
    """On PostgreSQL a large delivery list is not counted: COUNT(*) reads every matching
    row (~44 ms per million even from an index, far more from the table).

    The unfiltered list takes the planner's `reltuples` (~0.2 ms) when it is above
    ESTIMATE_ABOVE_ROWS. A filtered one is counted, but only up to ESTIMATE_ABOVE_ROWS + 1
    rows, so the count costs the same for any size of log; a list that reaches that many
    shows the planner's row estimate for the filter (EXPLAIN, ~0.5 ms) instead, if larger.
    Below the threshold every count is exact."""

    ESTIMATE_ABOVE_ROWS = 100_000

    @cached_property
    def count(self):
        if connection.vendor != "postgresql":
            return super().count
        queryset = self.object_list.order_by()
        if not queryset.query.where:
            estimate = self._table_estimate()
            return estimate if estimate > self.ESTIMATE_ABOVE_ROWS else super().count
        counted = queryset[: self.ESTIMATE_ABOVE_ROWS + 1].count()
        if counted <= self.ESTIMATE_ABOVE_ROWS:
            return counted
        return max(counted, self._planner_estimate())

    def _table_estimate(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE relname = %s",
                [self.object_list.model._meta.db_table],
            )
            row = cursor.fetchone()
        return row[0] if row else 0

    def _planner_estimate(self) -> int:
        sql, params = self.object_list.order_by().values("pk").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0]
        if isinstance(plan, str):
            plan = json.loads(plan)
        return int(plan[0]["Plan"]["Plan Rows"])


class ReadOnlyInline(admin.TabularInline):
    """A log shown inline: nothing to add, change or delete."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


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
class DeliveryAdmin(StationScopedAdmin):
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

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        """With the station and webhook every row of the list shows, and the event the
        detail page shows. (The changelist ignores `list_select_related` once the queryset
        selects related objects: listing them there alone cost two queries per row.)"""
        return super().get_queryset(request).select_related("event", "station", "webhook")

    def get_search_results(self, request, queryset, search_term):
        """Exact, indexed lookups only: a number is a job_id, model_id or delivery id,
        anything else a webhook-id.

        A number's three lookups are a UNION of three indexed queries: as one OR across
        the delivery and event tables, PostgreSQL can use no index and joins the whole
        log (~0.9 s for a million deliveries)."""
        term = search_term.strip()
        if not term:
            return queryset, False
        if not term.isdigit():
            return queryset.filter(event__message_id=term), False
        number = int(term)
        ids = Delivery.objects.filter(event__job_id=number).values("pk")
        ids = ids.union(
            Delivery.objects.filter(event__model_id=number).values("pk"),
            Delivery.objects.filter(pk=number).values("pk"),
            all=True,
        )
        return queryset.filter(pk__in=ids), False

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj):
        return _status_badge(obj.status)

    @admin.display(description="webhook-id")
    def message_id(self, obj):
        return obj.event.message_id

    @admin.display(description="job_id")
    def job_id(self, obj):
        return obj.event.job_id

    @admin.display(description="body")
    def body(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(json.loads(obj.event.body), indent=2))

    def get_urls(self):
        return [
            path(
                "<int:pk>/redeliver/",
                self.admin_site.admin_view(self.redeliver_view),
                name="webhooks_delivery_redeliver",
            ),
            *super().get_urls(),
        ]

    def redeliver_view(self, request, pk):
        if request.method != "POST" or not request.user.has_perm("webhooks.change_delivery"):
            return redirect("admin:webhooks_delivery_change", pk)
        count = services.deliveries_redeliver(deliveries=self.get_queryset(request).filter(pk=pk))
        self.message_user(
            request,
            "Delivery queued again." if count else "This delivery is still pending.",
            messages.SUCCESS if count else messages.WARNING,
        )
        return redirect("admin:webhooks_delivery_change", pk)

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


@admin.register(ResyncJob)
class ResyncJobAdmin(StationScopedAdmin):
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
    fields = [*list_display[1:], "counts", "total", "sent", "error", "created_at", "started_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="progress")
    def progress(self, obj):
        if not obj.total:
            return "0 / 0" if obj.status == ResyncJob.Status.DONE else "-"
        return f"{obj.sent} / {obj.total} ({100 * obj.sent // obj.total} %)"

    def changelist_view(self, request, extra_context=None):
        """Refreshes itself every 2 s while a resync is queued or running."""
        active = ResyncJob.objects.filter(status__in=ACTIVE_RESYNC_STATUSES).exists()
        return super().changelist_view(request, {**(extra_context or {}), "auto_refresh": active})


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
