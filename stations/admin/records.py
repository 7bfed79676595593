"""Admin for the six push models. Deleting here is soft; deleted rows stay visible under a
filter and come back with the "Recover" action. Each request's changes go out as one push
message per object."""

from django.contrib import admin, messages
from django.db import models, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import ngettext

from guards.forms import JSONInputField
from stations import permissions
from stations.changes import change_batch
from stations.models import Broadcast, Campaign, Contact, Item, Presenter, Program
from stations.scoping import ScopedRelatedFilter, StationScopedAdmin, scope_to_operator

__all__ = [
    "BroadcastAdmin",
    "CampaignAdmin",
    "ContactAdmin",
    "DeletedFilter",
    "ItemAdmin",
    "PresenterAdmin",
    "ProgramAdmin",
    "StationRecordAdmin",
]


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
    """Shared admin for the six push models: soft delete, recover, deleted filter, and
    `field_values` under the JSON input rules, a JSON object as in the API (a form error,
    never a 500)."""

    formfield_overrides = {models.JSONField: {"form_class": JSONInputField, "object_only": True}}
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

    @permissions.action("change", description="Recover selected %(verbose_name_plural)s")
    def recover_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        deleted = list(queryset.filter(deleted_at__isnull=False))
        recovered = queryset.recover()
        permissions.log(self, request, deleted, "Recovered.")
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
