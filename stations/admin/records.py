"""Admin for the six push models. Deleting here is soft: the confirmation says so (it can
be recovered, a `delete` push message goes out, what still points at the record); deleted
rows stay visible under a filter, read-only, and come back with "Recover" (a button on
the record's page, an action on the list), as the API answers 409 to a change of a deleted
record. Each request's changes go out as one push message per object."""

import json

from django.contrib import admin, messages
from django.contrib.admin.utils import model_ngettext
from django.db import models, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import ngettext

from guards.forms import JSONInputField
from stations import permissions
from stations.changes import change_batch
from stations.models import Broadcast, Campaign, Contact, Item, Presenter, Program
from stations.scoping import ScopedRelatedFilter, StationScopedAdmin, scope_to_operator
from stations.selectors import live_references

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
    readonly_fields = ["created_at", "updated_at", "deleted_at", "custom_fields"]
    actions = ["delete_selected", "recover_selected"]
    change_form_template = "admin/stations/record_change_form.html"
    delete_confirmation_template = "admin/stations/soft_delete_confirmation.html"

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

    def get_urls(self):
        meta = self.model._meta
        return [
            path(
                "<int:pk>/recover/",
                self.admin_site.admin_view(self.recover_view),
                name=f"{meta.app_label}_{meta.model_name}_recover",
            ),
            *super().get_urls(),
        ]

    # A deleted record is read-only (the API answers 409 to a change): saving it would send
    # an `update` after its `delete`. Recover it first.
    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is not None and obj.is_deleted:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is not None and obj.is_deleted:
            return False
        return super().has_delete_permission(request, obj)

    def has_recover_permission(self, request: HttpRequest, obj=None) -> bool:
        """Recovering is a change of the record: the model's change permission."""
        return super().has_change_permission(request)

    def get_fields(self, request: HttpRequest, obj=None):
        """A deleted record's custom fields show as indented JSON (the theme's read-only
        JSON carries inline styles, which the Content-Security-Policy refuses)."""
        fields = [name for name in super().get_fields(request, obj) if name != "custom_fields"]
        if obj is not None and obj.is_deleted:
            return ["custom_fields" if name == "field_values" else name for name in fields]
        return fields

    @admin.display(description="field values")
    def custom_fields(self, obj) -> str:
        return format_html('<pre class="sh-pre">{}</pre>', json.dumps(obj.field_values, indent=2))

    def get_search_results(self, request, queryset, search_term):
        """Autocomplete widgets offer only live objects to link to."""
        if getattr(request.resolver_match, "url_name", None) == "autocomplete":
            queryset = queryset.filter(deleted_at__isnull=True)
        return super().get_search_results(request, queryset, search_term)

    def get_deleted_objects(self, objs, request):
        """A soft delete removes nothing else, so the confirmation lists only `objs`."""
        counts = {self.model._meta.verbose_name_plural: len(objs)}
        return [str(obj) for obj in objs], counts, set(), []

    def soft_delete_context(self, records: list) -> dict:
        """What the delete confirmation says: per record, what still points at it."""
        references = live_references(records)
        return {
            "records": [(record, references[record.pk]) for record in records],
            "model_name": self.model._meta.model_name,
            "records_name": model_ngettext(self.model._meta, len(records)),
        }

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        meta = self.model._meta
        context["can_recover"] = obj is not None and self.has_recover_permission(request, obj)
        context["recover_url_name"] = f"admin:{meta.app_label}_{meta.model_name}_recover"
        return super().render_change_form(request, context, add, change, form_url, obj)

    def render_delete_form(self, request, context):
        context.update(self.soft_delete_context([context["object"]]))
        return super().render_delete_form(request, context)

    def delete_model(self, request: HttpRequest, obj) -> None:
        super().delete_model(request, obj)
        self.message_user(request, self.recoverable_message(1), messages.INFO)

    def recoverable_message(self, count: int) -> str:
        meta = self.model._meta
        deleted = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        return format_html(
            'Deleted {} {} (soft: recoverable). They are listed under <a href="{}">Deleted</a>, '
            "where Recover brings them back.",
            count,
            model_ngettext(meta, count),
            f"{deleted}?deleted=yes",
        )

    @admin.display(boolean=True, description="deleted", ordering="deleted_at")
    def is_deleted(self, obj) -> bool:
        return obj.is_deleted

    @admin.action(description="Delete selected %(verbose_name_plural)s", permissions=["delete"])
    def delete_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        """Django's bulk delete, with a confirmation that says what a soft delete does."""
        live = queryset.filter(deleted_at__isnull=True)
        records = list(live)
        if not records:
            self.message_user(request, "The selected records are deleted already.", messages.INFO)
            return None
        if request.POST.get("post"):
            self.log_deletions(request, records)
            deleted = live.delete()
            self.message_user(request, self.recoverable_message(deleted), messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            **self.soft_delete_context(records),
            "title": "Are you sure?",
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "selected": [record.pk for record in records],
        }
        return TemplateResponse(request, self.delete_confirmation_template, context)

    @admin.action(description="Recover selected %(verbose_name_plural)s", permissions=["recover"])
    def recover_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        deleted = queryset.filter(deleted_at__isnull=False)
        for record in deleted:
            self.log_change(request, record, "Recovered.")
        recovered = deleted.recover()
        self.message_user(
            request,
            ngettext("Recovered %d object.", "Recovered %d objects.", recovered) % recovered,
            messages.SUCCESS,
        )

    def recover_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The Recover button of a deleted record's page (POST): the record comes back,
        a `recover` push message goes out, and its page is editable again."""
        with transaction.atomic(), change_batch():
            record = get_object_or_404(self.get_queryset(request), pk=pk)
            permissions.require(self, request, "recover", record)
            if request.method != "POST":
                return redirect(self._change_url(record))
            if record.is_deleted:
                record.recover()
                self.log_change(request, record, "Recovered.")
                self.message_user(request, f"Recovered “{record}”.", messages.SUCCESS)
        return HttpResponseRedirect(self._change_url(record))

    def _change_url(self, record) -> str:
        meta = self.model._meta
        return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[record.pk])


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
