"""The admin's theme (django-unfold): branding and the sidebar.

The sidebar is the product's map, in the order an operator works: the dashboard, the
webhooks section (endpoints, their deliveries, resyncs, alert policies, the inbound
gateway's sources and log), the station data
the events come from, then the system tables (users, groups, the task queue), collapsed.
Each entry shows only to users who may view what it links to.
"""

from django.templatetags.static import static
from django.urls import reverse_lazy

__all__ = ["UNFOLD"]


def _can_view(model: str):
    """A sidebar permission check: the model has an admin (django-q2's queue has one only
    with its ORM broker) and the user may view it ("app_label.model_name")."""
    app, name = model.split(".")

    def check(request) -> bool:
        # Imported here: settings import this module before the apps are loaded.
        from django.apps import apps
        from django.contrib import admin

        return admin.site.is_registered(apps.get_model(app, name)) and request.user.has_perm(
            f"{app}.view_{name}"
        )

    return check


def _model(title: str, icon: str, model: str) -> dict:
    app, name = model.split(".")
    return {
        "title": title,
        "icon": icon,
        "link": reverse_lazy(f"admin:{app}_{name}_changelist"),
        "permission": _can_view(model),
    }


def _staff(request) -> bool:
    return request.user.is_active and request.user.is_staff


UNFOLD = {
    "SITE_TITLE": "StationHooks",
    "SITE_HEADER": "StationHooks",
    "SITE_SUBHEADER": "Webhook hub for radio stations",
    "SITE_SYMBOL": "cell_tower",
    "SITE_URL": reverse_lazy("admin:index"),
    "SITE_FAVICONS": [
        {
            "rel": "icon",
            "type": "image/svg+xml",
            "href": lambda request: static("stationhooks/favicon.svg"),
        }
    ],
    "SHOW_VIEW_ON_SITE": False,
    "SHOW_HISTORY": True,
    "STYLES": [lambda request: static("stationhooks/admin.css")],
    "SCRIPTS": [lambda request: static("stationhooks/copy.js")],
    "COLORS": {
        # A radio-dial teal instead of the default purple.
        "primary": {
            "50": "oklch(98.4% .014 180.72)",
            "100": "oklch(95.3% .051 180.801)",
            "200": "oklch(91% .096 180.426)",
            "300": "oklch(85.5% .138 181.071)",
            "400": "oklch(77.7% .152 181.912)",
            "500": "oklch(70.4% .14 182.503)",
            "600": "oklch(60% .118 184.704)",
            "700": "oklch(51.1% .096 186.391)",
            "800": "oklch(43.7% .078 188.216)",
            "900": "oklch(38.6% .063 188.416)",
            "950": "oklch(27.7% .046 192.524)",
        },
    },
    "SIDEBAR": {
        "show_search": False,
        "show_all_applications": False,
        "navigation": [
            {
                "items": [
                    {
                        "title": "Dashboard",
                        "icon": "monitoring",
                        "link": reverse_lazy("admin:index"),
                        "permission": _staff,
                    },
                ],
            },
            {
                "title": "Webhooks",
                "separator": True,
                "items": [
                    _model("Webhooks", "webhook", "webhooks.webhook"),
                    _model("Deliveries", "outbox", "webhooks.delivery"),
                    _model("Resync jobs", "sync", "webhooks.resyncjob"),
                    _model("Alert policies", "notifications_active", "webhooks.alertpolicy"),
                    _model("Inbound sources", "input", "webhooks.inboundsource"),
                    _model("Inbound log", "move_to_inbox", "webhooks.inboundrequest"),
                ],
            },
            {
                "title": "Station data",
                "separator": True,
                "items": [
                    _model("Stations", "radio", "stations.station"),
                    _model("Programs", "podcasts", "stations.program"),
                    _model("Broadcasts", "calendar_month", "stations.broadcast"),
                    _model("Items", "queue_music", "stations.item"),
                    _model("Presenters", "record_voice_over", "stations.presenter"),
                    _model("Contacts", "contacts", "stations.contact"),
                    _model("Campaigns", "campaign", "stations.campaign"),
                    _model("Streams", "sensors", "stations.stream"),
                    _model("Stream checks", "fact_check", "stations.streamcheck"),
                    _model("Encoders", "settings_input_antenna", "stations.encoder"),
                    _model("Track plays", "music_note", "stations.trackplay"),
                    _model("API keys", "key", "stations.apikey"),
                ],
            },
            {
                "title": "System",
                "separator": True,
                "collapsible": True,
                "items": [
                    _model("Users", "person", "auth.user"),
                    _model("Groups", "group", "auth.group"),
                    _model("Queued tasks", "pending_actions", "django_q.ormq"),
                    _model("Scheduled tasks", "schedule", "django_q.schedule"),
                    _model("Failed tasks", "error", "django_q.failure"),
                    _model("Successful tasks", "task_alt", "django_q.success"),
                ],
            },
            {
                "title": "Help",
                "separator": True,
                "items": [
                    {
                        "title": "API docs",
                        "icon": "api",
                        "link": reverse_lazy("api-docs"),
                        "permission": _staff,
                    },
                    {
                        "title": "Receiver guide",
                        "icon": "menu_book",
                        "link": reverse_lazy("admin:receiver_guide"),
                        "permission": _staff,
                    },
                ],
            },
        ],
    },
}
