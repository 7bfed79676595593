"""The delivery log: read-only for everyone (only retention prunes it), searchable by exact
ids, each delivery with what it was about and the timeline of its attempts, and a
redeliver action."""

from django.contrib import admin, messages
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from stations import permissions
from stations.admin.display import ReadOnlyAdminMixin
from stations.scoping import ScopedRelatedFilter, StationScopedAdmin
from stations.states import badge
from stations.times import moment
from webhooks import services
from webhooks.admin import presenters, views
from webhooks.admin.paginator import EstimatedCountPaginator
from webhooks.admin.subjects import subject_of
from webhooks.holding import PAUSED_UNTIL
from webhooks.models import Delivery
from webhooks.selectors import deliveries_matching

__all__ = ["DeliveryAdmin", "TestEventFilter"]


class TestEventFilter(admin.SimpleListFilter):
    """Test events (sent from a webhook's page) apart from real ones."""

    title = "test events"
    parameter_name = "test"

    def lookups(self, request, model_admin):
        return [("no", "No test events"), ("only", "Test events only")]

    def queryset(self, request, queryset):
        if self.value() in ("no", "only"):
            return queryset.filter(event__is_test=self.value() == "only")
        return queryset


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdminMixin, StationScopedAdmin):
    deletable = False  # the log is evidence: only retention prunes it
    change_form_template = "admin/webhooks/delivery/change_form.html"
    list_display = ["id", "created", "webhook_and_station", "about", "status_badge", "attempts"]
    list_display_links = ["id", "created"]
    list_filter = [
        ("station", ScopedRelatedFilter),
        ("webhook", ScopedRelatedFilter),
        "status",
        "event_type",
        TestEventFilter,
        "created_at",
    ]
    search_fields = ["=event__message_id"]
    search_help_text = "A webhook-id (msg_…), or a number: job_id, model_id or delivery id."
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = EstimatedCountPaginator
    ordering = ["-created_at"]
    actions = ["redeliver"]
    fields = ["status_badge"]
    readonly_fields = ["status_badge"]

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

    @admin.display(description="created", ordering="created_at")
    def created(self, obj):
        return moment(obj.created_at)

    @admin.display(description="webhook")
    def webhook_and_station(self, obj):
        return format_html(
            '{}<br><span class="sh-muted sh-small">{}</span>', obj.webhook.name, obj.station.name
        )

    @admin.display(description="event")
    def about(self, obj):
        subject = subject_of(
            event_type=obj.event_type, body=obj.event.body, is_test=obj.event.is_test
        )
        test = badge("test") if obj.event.is_test else ""
        if subject is None:
            about = ""
        elif subject.url:
            about = format_html('<a class="sh-link" href="{}">{}</a>', subject.url, subject.label)
        else:
            about = subject.label
        return format_html(
            '<span class="sh-nowrap">{} {}</span><br><span class="sh-small">{}</span>',
            obj.event_type,
            test,
            about,
        )

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj):
        return presenters.status_badge(obj, now=timezone.now())

    @admin.display(description="attempts")
    def attempts(self, obj):
        if obj.next_attempt_at and obj.status == "pending":
            if obj.next_attempt_at >= PAUSED_UNTIL:
                return obj.attempt_count  # the status says it waits for Resume
            return format_html(
                '{}<br><span class="sh-muted sh-small sh-nowrap">next {}</span>',
                obj.attempt_count,
                obj.next_attempt_at.strftime("%H:%M:%S %Z"),
            )
        return obj.attempt_count

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context.update(presenters.delivery_detail(obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        return [
            path(
                "<int:pk>/redeliver/",
                self.admin_site.admin_view(views.page_of(self, views.redeliver_delivery)),
                name="webhooks_delivery_redeliver",
            ),
            *super().get_urls(),
        ]

    @permissions.action("redeliver", description="Redeliver selected deliveries")
    def redeliver(self, request, queryset):
        count = services.deliveries_redeliver(deliveries=queryset)
        permissions.log(self, request, queryset, "Redelivered.")
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
