from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self):
        from webhooks import tasks  # noqa: F401  (declares its periodic jobs)
        from webhooks.receivers import connect_receivers

        connect_receivers()


class HubAdminConfig(admin_apps.AdminConfig):
    """Django's admin with the hub's site: the theme, the dashboard as its home page and
    the receiver guide (config.admin_site)."""

    default = False  # "webhooks" itself is WebhooksConfig
    default_site = "config.admin_site.HubAdminSite"
