"""Admin for station data. Deleting here is soft; deleted rows stay visible under a filter
and come back with the "Recover" action. Streams show their monitoring state and uptime;
stream checks are a read-only log. API keys are shown once, when created, and revoked
rather than deleted."""

from datetime import timedelta

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Avg, FloatField, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Cast
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import ngettext

from stations.api_keys import api_key_issue, api_keys_revoke
from stations.models import (
    ApiKey,
    Broadcast,
    Campaign,
    Contact,
    Encoder,
    Item,
    Presenter,
    Program,
    Station,
    Stream,
    StreamCheck,
    TrackPlay,
)
from stations.scoping import ScopedRelatedFilter, StationScopedAdmin, scope_to_operator
from webhooks.push import change_batch


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


class DeletedFilter(admin.SimpleListFilter):
    """Hides deleted rows unless asked: "Not deleted" is the default choice."""

    title = "deleted"
    parameter_name = "deleted"

    def lookups(self, request, model_admin):
        return [("yes", "Deleted"), ("all", "All")]

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "Not deleted",
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False)
        if self.value() == "all":
            return queryset
        return queryset.filter(deleted_at__isnull=True)


class StationRecordAdmin(StationScopedAdmin):
    """Shared admin for the six push models: soft delete, recover, deleted filter."""

    list_filter = [("station", ScopedRelatedFilter), DeletedFilter]
    list_select_related = ["station"]
    readonly_fields = ["created_at", "updated_at", "deleted_at"]
    actions = ["recover_selected"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        """Deleted rows too (the "deleted" filter shows them), of the operator's stations."""
        return scope_to_operator(self.model.all_objects.all(), request.user, self.station_path)

    # Each admin request is one transaction whose changes go out as one push message per
    # object (a form save that also changes links is one update, not several).
    def changeform_view(self, *args, **kwargs):
        with transaction.atomic(), change_batch():
            return super().changeform_view(*args, **kwargs)

    def changelist_view(self, *args, **kwargs):
        with transaction.atomic(), change_batch():
            return super().changelist_view(*args, **kwargs)

    def delete_view(self, *args, **kwargs):
        with transaction.atomic(), change_batch():
            return super().delete_view(*args, **kwargs)

    def get_search_results(self, request, queryset, search_term):
        """Autocomplete widgets offer only live objects to link to."""
        if getattr(request.resolver_match, "url_name", None) == "autocomplete":
            queryset = queryset.filter(deleted_at__isnull=True)
        return super().get_search_results(request, queryset, search_term)

    def get_deleted_objects(self, objs, request):
        """A soft delete removes nothing else, so the confirmation lists only `objs`."""
        counts = {self.model._meta.verbose_name_plural: len(objs)}
        return [str(obj) for obj in objs], counts, set(), []

    @admin.display(boolean=True, description="deleted", ordering="deleted_at")
    def is_deleted(self, obj) -> bool:
        return obj.is_deleted

    @admin.action(description="Recover selected %(verbose_name_plural)s")
    def recover_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        recovered = queryset.recover()
        self.message_user(
            request,
            ngettext("Recovered %d object.", "Recovered %d objects.", recovered) % recovered,
            messages.SUCCESS,
        )


@admin.register(Program)
class ProgramAdmin(StationRecordAdmin):
    list_display = [
        "title",
        "station",
        "genre",
        "language",
        "disabled",
        "recommended",
        "is_deleted",
    ]
    list_filter = [("station", ScopedRelatedFilter), DeletedFilter, "disabled", "recommended"]
    search_fields = ["title", "short_name", "medium_name", "genre"]
    autocomplete_fields = ["presenters"]


@admin.register(Broadcast)
class BroadcastAdmin(StationRecordAdmin):
    list_display = ["title", "program", "start", "stop", "published", "is_deleted"]
    list_filter = [("station", ScopedRelatedFilter), DeletedFilter, "published", "recommended"]
    list_select_related = ["station", "program"]
    search_fields = ["title", "program__title"]
    date_hierarchy = "start"
    autocomplete_fields = ["program", "presenters"]


@admin.register(Item)
class ItemAdmin(StationRecordAdmin):
    list_display = ["title", "broadcast", "start", "duration", "status", "campaign", "is_deleted"]
    list_filter = [("station", ScopedRelatedFilter), DeletedFilter, "status", "recommended"]
    list_select_related = ["station", "broadcast", "campaign"]
    search_fields = ["title", "external_id"]
    date_hierarchy = "start"
    autocomplete_fields = ["broadcast", "campaign", "contacts"]


@admin.register(Presenter)
class PresenterAdmin(StationRecordAdmin):
    list_display = ["__str__", "firstname", "lastname", "station", "active", "is_deleted"]
    list_filter = [("station", ScopedRelatedFilter), DeletedFilter, "active"]
    search_fields = ["name", "firstname", "lastname"]


@admin.register(Contact)
class ContactAdmin(StationRecordAdmin):
    list_display = ["firstname", "lastname", "email", "phone", "station", "is_deleted"]
    search_fields = ["firstname", "lastname", "email", "phone"]


@admin.register(Campaign)
class CampaignAdmin(StationRecordAdmin):
    list_display = ["title", "start", "stop", "station", "recommended", "is_deleted"]
    list_filter = [("station", ScopedRelatedFilter), DeletedFilter, "recommended"]
    search_fields = ["title"]
    date_hierarchy = "start"


@admin.register(Encoder)
class EncoderAdmin(StationScopedAdmin):
    list_display = ["name", "station", "status", "public_id", "updated_at"]
    list_filter = [("station", ScopedRelatedFilter), "status"]
    search_fields = ["name", "public_id"]
    readonly_fields = ["public_id", "created_at", "updated_at"]


RECENT_CHECKS_SHOWN = 20
STATE_COLOURS = {"up": "#2e7d32", "down": "#c62828", "silent": "#c62828"}


def _uptime_since(hours: int) -> Subquery:
    """Share of the stream's checks in the last `hours` that found it up (None: no check),
    as one correlated aggregate per row of the list."""
    since = timezone.now() - timedelta(hours=hours)
    return Subquery(
        StreamCheck.objects.filter(stream=OuterRef("pk"), checked_at__gte=since)
        .order_by()
        .values("stream")
        .annotate(up=Avg(Cast("is_up", IntegerField())))
        .values("up"),
        output_field=FloatField(),
    )


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{100 * share:.1f} %"


def _state_label(is_up: bool | None, is_silent: bool | None) -> str:
    if is_up is None:
        return "not checked"
    if is_up:
        return "up"
    return "silent" if is_silent else "down"


def _state_badge(label: str) -> str:
    return format_html('<b style="color:{}">{}</b>', STATE_COLOURS.get(label, "#777"), label)


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
    search_fields = ["name", "listening_url"]
    readonly_fields = [
        "uuid",
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
    fieldsets = [
        (None, {"fields": ["station", "name", "listening_url", "uuid", "monitored"]}),
        (
            "Silence detection",
            {"fields": ["silence_detection", "silence_threshold_dbfs", "silence_min_duration_s"]},
        ),
        (
            "Monitoring",
            {
                "fields": [
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
            },
        ),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(uptime_24h_share=_uptime_since(24), uptime_7d_share=_uptime_since(24 * 7))
        )

    @admin.display(description="state", ordering="is_up")
    def state(self, obj):
        return _state_badge(_state_label(obj.is_up, obj.is_silent))

    @admin.display(description="uptime 24 h", ordering="uptime_24h_share")
    def uptime_24h(self, obj):
        return _percent(obj.uptime_24h_share)

    @admin.display(description="uptime 7 d", ordering="uptime_7d_share")
    def uptime_7d(self, obj):
        return _percent(obj.uptime_7d_share)

    @admin.display(description="recent checks")
    def recent_checks(self, obj):
        recent = obj.checks.order_by("-checked_at")[:RECENT_CHECKS_SHOWN]
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    check.checked_at.strftime("%Y-%m-%d %H:%M:%S"),
                    _state_badge(_state_label(check.is_up, check.silence)),
                    check.source,
                    "-" if check.latency_ms is None else f"{check.latency_ms} ms",
                    check.reason,
                )
                for check in recent
            ),
        )
        if not rows:
            return "No checks yet."
        all_checks = reverse("admin:stations_streamcheck_changelist")
        return format_html(
            "<table><tr><th>checked</th><th>state</th><th>source</th><th>latency</th>"
            '<th>reason</th></tr>{}</table><p><a href="{}?{}">All checks</a></p>',
            rows,
            all_checks,
            urlencode({"stream__id__exact": obj.pk}),
        )


@admin.register(StreamCheck)
class StreamCheckAdmin(StationScopedAdmin):
    station_path = "stream__station"
    """The check log, read-only. Large (a row per stream per minute), so no full count."""

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

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="station")
    def station(self, obj):
        return obj.stream.station

    @admin.display(description="state", ordering="is_up")
    def state(self, obj):
        return _state_badge(_state_label(obj.is_up, obj.silence))

    @admin.display(description="latency", ordering="latency_ms")
    def latency(self, obj):
        return "-" if obj.latency_ms is None else f"{obj.latency_ms} ms"


@admin.register(TrackPlay)
class TrackPlayAdmin(StationScopedAdmin):
    """The play log, as reported by playout software; read-only."""

    list_display = ["played_at", "artist", "title", "album", "duration", "station", "source"]
    list_filter = [("station", ScopedRelatedFilter), "source"]
    list_select_related = ["station"]
    search_fields = ["title", "artist", "album", "=public_id", "=external_id"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ApiKey)
class ApiKeyAdmin(StationScopedAdmin):
    """Keys for the REST API and inbound hooks. The full key is shown once, in the
    message after adding; afterwards only its prefix identifies it."""

    list_display = ["name", "station", "key_prefix", "created_at", "last_used_at", "is_active"]
    list_filter = [("station", ScopedRelatedFilter), ("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["station"]
    search_fields = ["name", "=prefix"]
    fields = ["station", "name", "key_prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["key_prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke_selected"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return ["station", *self.readonly_fields]
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        """Revoke instead: events keep pointing at the key that caused them."""
        return False

    @admin.display(description="key", ordering="prefix")
    def key_prefix(self, obj: ApiKey) -> str:
        return f"{obj.prefix}…" if obj.prefix else "-"

    @admin.display(boolean=True, description="active", ordering="revoked_at")
    def is_active(self, obj: ApiKey) -> bool:
        return obj.is_active

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        raw_key = api_key_issue(obj)
        super().save_model(request, obj, form, change)
        self.message_user(
            request,
            f"API key for {obj.name} (shown once, copy it now): {raw_key}",
            messages.WARNING,
        )

    @admin.action(description="Revoke selected API keys")
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        revoked = api_keys_revoke(api_keys=queryset)
        self.message_user(
            request,
            ngettext("Revoked %d API key.", "Revoked %d API keys.", revoked) % revoked,
            messages.SUCCESS,
        )
