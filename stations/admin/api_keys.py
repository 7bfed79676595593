"""Admin for API keys: the full key is shown once, when created; keys are revoked, never
deleted."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import ngettext

from stations import permissions
from stations.api_keys import api_key_issue, api_keys_revoke
from stations.models import ApiKey
from stations.scoping import ScopedRelatedFilter, StationScopedAdmin

__all__ = ["ApiKeyAdmin"]


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

    @permissions.action("change", description="Revoke selected API keys")
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        active = list(queryset.filter(revoked_at__isnull=True))
        revoked = api_keys_revoke(api_keys=queryset)
        permissions.log(self, request, active, "Revoked.")
        self.message_user(
            request,
            ngettext("Revoked %d API key.", "Revoked %d API keys.", revoked) % revoked,
            messages.SUCCESS,
        )
