from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self):
        from webhooks import tasks  # noqa: F401  (declares its periodic jobs)
        from webhooks.receivers import connect_receivers

        connect_receivers()
