"""Webhooks: their settings, health (last delivery, 24 h success rate and chart, recent
deliveries) and the operator's actions (test event, resync, rotate secret, enable,
disable). Thin: the work is in webhooks.services, the pages in webhooks.admin.views."""

from django.contrib import admin, messages
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from stations import permissions
from stations.scoping import ScopedRelatedFilter, StationScopedAdmin
from stations.states import badge
from webhooks import event_types, formats, services
from webhooks.admin import resync, views, webhook_pages
from webhooks.admin.charts import bar_chart
from webhooks.breaker import describe
from webhooks.destinations import shown_url
from webhooks.event_types import PUSH, Pacing
from webhooks.forms import WebhookForm, format_field_name
from webhooks.models import Webhook
from webhooks.selectors import hourly_outcomes, recent_deliveries, webhooks_with_health

__all__ = ["WebhookAdmin"]

RECENT_DELIVERIES_SHOWN = 20
HEALTH_FIELDS = [
    "endpoint",
    "disabled_reason",
    "disabled_at",
    "consecutive_failures",
    "success_rate_24h",
    "last_24h_chart",
    "recent_deliveries",
    "created_at",
    "updated_at",
]
SIGNING_FIELDS = [
    "masked_secret",
    "new_secret",
    "remove_secret",
    "masked_key",
    "new_key",
    "remove_key",
]


def _format_is(names: list[str]) -> str:
    """The condition (unfold's conditional fields, an Alpine expression) that the form's
    format is one of `names`."""
    return " || ".join(f"format == '{name}'" for name in names) or "false"


def destination_conditions() -> dict[str, str]:
    """Which fields show for which format: each format's settings for it, the URL for
    formats that have one, signing and key for signed formats."""
    registered = formats.registered()
    conditions = {
        format_field_name(destination, setting): _format_is([destination.name])
        for destination in registered
        for setting in destination.settings
    }
    conditions["url"] = _format_is([d.name for d in registered if d.url is not None])
    signed = _format_is([d.name for d in registered if d.signed])
    return conditions | dict.fromkeys(SIGNING_FIELDS, signed)


def _event_type_is(names: list[str]) -> str:
    return " || ".join(f"event_type == '{name}'" for name in names) or "false"


def trigger_conditions() -> dict[str, str]:
    """Which fields show for which trigger: the models for push, each pacing option for
    the types that may use it (a delay applies to every type)."""
    paced = {
        pacing: [t.name for t in event_types.registered() if t.pacing == pacing]
        for pacing in (Pacing.THROTTLE, Pacing.DEBOUNCE)
    }
    return {
        "models": _event_type_is([PUSH.name]),
        "throttle_s": _event_type_is(paced[Pacing.THROTTLE]),
        "debounce_s": _event_type_is(paced[Pacing.DEBOUNCE]),
    }


@admin.register(Webhook)
class WebhookAdmin(StationScopedAdmin):
    form = WebhookForm
    change_form_template = "admin/webhooks/webhook/change_form.html"
    list_display = [
        "name",
        "station",
        "event_type",
        "destination",
        "enabled",
        "last_delivery",
        "success_rate_24h",
        "endpoint",
        "masked_secret",
    ]
    list_editable = ["enabled"]
    list_filter = [("station", ScopedRelatedFilter), "event_type", "format", "enabled"]
    list_select_related = ["station"]
    search_fields = ["name", "url"]
    readonly_fields = ["masked_secret", "masked_key", *HEALTH_FIELDS]
    secret_fields = ("new_secret", "remove_secret", "new_key", "remove_key")
    conditional_fields = destination_conditions() | trigger_conditions()
    fieldsets = [
        (None, {"fields": ["station", "name", "event_type", "models", "enabled"]}),
        (
            "Destination",
            {
                "fields": [
                    "format",
                    "url",
                    *(
                        format_field_name(destination, setting)
                        for destination in formats.registered()
                        for setting in destination.settings
                    ),
                ]
            },
        ),
        ("Pacing", {"fields": ["delay_s", "throttle_s", "debounce_s"]}),
        ("Signing and authentication", {"fields": SIGNING_FIELDS}),
        ("Custom headers", {"fields": ["headers"]}),
        ("Health", {"fields": HEALTH_FIELDS}),
    ]
    actions = [
        "send_test_event",
        "manual_resync",
        "rotate_secret",
        "enable_webhooks",
        "disable_webhooks",
    ]

    def get_fieldsets(self, request, obj=None):
        """A new webhook has no health yet, and no secret to show masked (the one it
        gets is generated at save and shown then)."""
        fieldsets = super().get_fieldsets(request, obj)  # (without secret fields, if so)
        if obj is not None:
            return fieldsets
        unsaved = {"masked_secret", "masked_key"}
        return [
            (name, {"fields": [f for f in options["fields"] if f not in unsaved]})
            for name, options in fieldsets
            if name != "Health"
        ]

    def get_queryset(self, request):
        return webhooks_with_health(super().get_queryset(request), now=timezone.now())

    @admin.display(description="destination", ordering="format")
    def destination(self, obj):
        """The format and where it goes (credentials in the URL masked)."""
        return format_html(
            '{}<br><span class="sh-muted sh-small">{}</span>',
            obj.destination.label,
            shown_url(obj) or "-",
        )

    @admin.display(description="last delivery")
    def last_delivery(self, obj):
        return badge(obj.last_delivery_status)

    @admin.display(description="endpoint")
    def endpoint(self, obj):
        """Paused, or the breaker's state and reason ("held: endpoint failing, next try
        at …")."""
        if obj.paused_at:
            return badge("held", "paused: deliveries held until Resume")
        text = describe(obj.breaker, timezone.now())
        return badge("held", text) if obj.breaker_retry_at else text

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
        return render_to_string(
            "admin/webhooks/webhook/recent_deliveries.html",
            {"deliveries": recent_deliveries(obj, limit=RECENT_DELIVERIES_SHOWN)},
        )

    def save_model(self, request, obj, form, change):
        generated = not change and not form.cleaned_data.get("new_secret") and obj.secret
        super().save_model(request, obj, form, change)
        if change and "enabled" in form.changed_data:
            if obj.enabled:
                services.webhook_enable(webhook=obj)
            else:
                services.webhook_disable(webhook=obj, reason=f"Disabled by {request.user}.")
        if generated and obj.destination.signed:
            webhook_pages.show_secret_once(self, request, obj, "Generated secret")

    def get_urls(self):
        return [
            *webhook_pages.urls(self),
            path(
                "<int:pk>/redeliver-failed/",
                self.admin_site.admin_view(views.page_of(self, views.redeliver_failed)),
                name="webhooks_webhook_redeliver_failed",
            ),
            path(
                "<int:pk>/try-now/",
                self.admin_site.admin_view(views.page_of(self, views.try_now)),
                name="webhooks_webhook_try_now",
            ),
            path(
                "preview/",
                self.admin_site.admin_view(views.page_of(self, views.preview)),
                name="webhooks_webhook_preview",
            ),
            path(
                "<int:pk>/preview/",
                self.admin_site.admin_view(views.page_of(self, views.preview)),
                name="webhooks_webhook_preview_existing",
            ),
            path(
                "resync/",
                self.admin_site.admin_view(views.page_of(self, resync.manual_resync)),
                name="webhooks_webhook_resync",
            ),
            *super().get_urls(),
        ]

    @permissions.action("resync", description="Manual resync of selected push webhooks…")
    def manual_resync(self, request, queryset):
        ids = ",".join(str(pk) for pk in queryset.values_list("pk", flat=True))
        return redirect(reverse("admin:webhooks_webhook_resync") + f"?ids={ids}")

    @permissions.action("change", description="Send a test event to selected webhooks")
    def send_test_event(self, request, queryset):
        """Queued, not sent in the request (any number of receivers may hang): the
        delivery log shows the answers as they come."""
        sent = [
            services.webhook_send_test_event(webhook=webhook, actor=request.user, wait=False)
            for webhook in queryset.select_related("station")
        ]
        for delivery in sent:
            self.log_change(request, delivery.webhook, "Queued a test event.")
        self.message_user(
            request,
            format_html(
                '{} test event(s) queued; their answers show in the <a href="{}?{}">delivery '
                "log</a>.",
                len(sent),
                reverse("admin:webhooks_delivery_changelist"),
                "test=only",
            ),
            messages.SUCCESS,
        )

    @permissions.action("secrets", description="Rotate the secret of selected webhooks")
    def rotate_secret(self, request, queryset):
        for webhook in queryset:
            services.webhook_rotate_secret(webhook=webhook)
            permissions.log(self, request, webhook, "Rotated the secret.")
            webhook_pages.show_secret_once(self, request, webhook, "New secret")

    @permissions.action("change", description="Enable selected webhooks")
    def enable_webhooks(self, request, queryset):
        for webhook in queryset:
            services.webhook_enable(webhook=webhook)
            permissions.log(self, request, webhook, "Enabled.")
        self.message_user(request, f"Enabled {len(queryset)} webhook(s).", messages.SUCCESS)

    @permissions.action("change", description="Disable selected webhooks")
    def disable_webhooks(self, request, queryset):
        for webhook in queryset:
            services.webhook_disable(webhook=webhook, reason=f"Disabled by {request.user}.")
            permissions.log(self, request, webhook, "Disabled.")
        self.message_user(request, f"Disabled {len(queryset)} webhook(s).", messages.SUCCESS)
