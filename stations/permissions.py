"""The admin's permission model, stated once: the three roles (Django groups, kept in step
with this module after every `migrate`), the hub's own permissions beyond Django's four,
and what every custom admin action and page uses to declare what it needs and to write
its history entry.

Which stations a user sees is separate (stations/scoping.py: Station.operators); a role
says what the user may do with them. Superusers may do everything, everywhere.

    from stations import permissions

    @permissions.action("change", description="Pause selected webhooks")
    def pause(self, request, queryset):
        for webhook in queryset:
            services.webhook_pause(webhook=webhook)
            permissions.log(self, request, webhook, "Paused.")

    def some_page(model_admin, request, pk):
        webhook = get_object_or_404(model_admin.get_queryset(request), pk=pk)
        permissions.require(model_admin, request, "change", webhook)  # else 403
"""

from collections.abc import Callable, Iterable

from django.contrib import admin
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q

__all__ = [
    "ADMIN",
    "HUB_PERMISSIONS",
    "OPERATOR",
    "ROLES",
    "VIEWER",
    "HubPermissions",
    "action",
    "log",
    "require",
    "sync_roles",
]

VIEWER = "Station viewer"
OPERATOR = "Station operator"
ADMIN = "Station admin"

# Every model of these apps is station data or station configuration: the roles see all.
STATION_APPS = ("stations", "webhooks")

# What each role may do beyond seeing: "app_label.codename" of Django's permissions.
# A role has everything the roles before it have.
_CONFIGURATION = [
    "webhooks.webhook",
    "webhooks.alertpolicy",
    "webhooks.inboundsource",
    "stations.program",
    "stations.broadcast",
    "stations.item",
    "stations.presenter",
    "stations.contact",
    "stations.campaign",
    "stations.stream",
    "stations.encoder",
]
ROLES: dict[str, list[str]] = {
    # Sees the station's logs and settings, changes nothing.
    VIEWER: [],
    # Configures webhooks, policies, inbound sources, streams and the station's records;
    # redelivers (a change of the delivery log's state), resyncs (starts a resync job),
    # replays and accepts inbound requests anyway.
    OPERATOR: [
        *(
            f"{model.split('.')[0]}.{verb}_{model.split('.')[1]}"
            for model in _CONFIGURATION
            for verb in ("add", "change", "delete")
        ),
        "webhooks.change_delivery",
        "webhooks.add_resyncjob",
        "webhooks.change_inboundrequest",  # replay, accept anyway
    ],
    # Also manages API keys and secrets (webhooks' and inbound sources' secrets and keys,
    # ingest URL tokens), and the station's own settings.
    ADMIN: [
        "stations.add_apikey",
        "stations.change_apikey",
        "stations.change_station",
        "stations.manage_secrets",
    ],
}

# The hub's permission names for `allowed_permissions` beyond Django's view, add, change,
# delete, each with the Django permission it needs (on top of seeing the object).
HUB_PERMISSIONS = {
    "secrets": "stations.manage_secrets",
    "redeliver": "webhooks.change_delivery",
    "resync": "webhooks.add_resyncjob",
}


class HubPermissions:
    """ModelAdmin mixin: the `has_<name>_permission` methods behind HUB_PERMISSIONS, so
    actions can list them in `allowed_permissions` (StationScopedAdmin has them), and
    `secret_fields`: the form fields that set or remove a secret, left out of the form
    for users without the secrets permission (their masked display stays)."""

    secret_fields: tuple[str, ...] = ()

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if not self.secret_fields or self.has_secrets_permission(request, obj):
            return fieldsets
        return [
            (
                name,
                {
                    **options,
                    "fields": [f for f in options["fields"] if f not in self.secret_fields],
                },
            )
            for name, options in fieldsets
        ]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if not self.secret_fields or self.has_secrets_permission(request, obj):
            return form
        return type(form.__name__, (form,), dict.fromkeys(self.secret_fields))

    def _has_hub_permission(self, name: str, request, obj=None) -> bool:
        return request.user.has_perm(HUB_PERMISSIONS[name]) and self.has_view_permission(
            request, obj
        )

    def has_secrets_permission(self, request, obj=None) -> bool:
        return self._has_hub_permission("secrets", request, obj)

    def has_redeliver_permission(self, request, obj=None) -> bool:
        return self._has_hub_permission("redeliver", request, obj)

    def has_resync_permission(self, request, obj=None) -> bool:
        return self._has_hub_permission("resync", request, obj)


def action(permission: str, *, description: str) -> Callable:
    """`admin.action` that states what it needs: one of Django's four or HUB_PERMISSIONS.
    Django then offers and runs the action only for users who have it."""
    return admin.action(description=description, permissions=[permission])


def allows(model_admin: admin.ModelAdmin, request, permission: str, obj=None) -> bool:
    check = getattr(model_admin, f"has_{permission}_permission")
    return check(request) if permission == "add" else check(request, obj)  # (add: no obj)


def require(model_admin: admin.ModelAdmin, request, permission: str, obj=None) -> None:
    """For the admin's own pages: 403 unless the user has `permission` (on `obj`)."""
    if not allows(model_admin, request, permission, obj):
        raise PermissionDenied


def log(model_admin: admin.ModelAdmin, request, objects: Model | Iterable[Model], message: str):
    """Write the admin history entry ("Change" with `message`) of each of `objects`, as
    Django does for a form save: who, when, what. Never put a secret in `message`."""
    objects = [objects] if isinstance(objects, Model) else list(objects)
    if objects:
        LogEntry.objects.log_actions(
            user_id=request.user.pk,
            queryset=objects,
            action_flag=CHANGE,
            change_message=message,
            single_object=len(objects) == 1,
        )


def sync_roles(sender=None, using="default", apps=None, **_signal_kwargs) -> None:
    """Make the three groups hold exactly their permissions: every `view_` of the station
    apps, then ROLES cumulatively. A post_migrate receiver (connected by the app's
    ready(), after Django's own that creates the permissions), so a new model's
    permissions join the roles with the migrate that creates them."""
    if sender is not None and sender.label not in STATION_APPS:
        return
    from django.contrib.auth.models import Group, Permission

    granted = Q(content_type__app_label__in=STATION_APPS, codename__startswith="view_")
    for name, extra in ROLES.items():
        for permission in extra:
            app_label, codename = permission.split(".")
            granted |= Q(content_type__app_label=app_label, codename=codename)
        group, _ = Group.objects.using(using).get_or_create(name=name)
        group.permissions.set(Permission.objects.using(using).filter(granted))
