from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self):
        from django_q.signals import post_spawn

        from webhooks.due_poller import start_delivery_engine
        from webhooks.push import connect_receivers

        post_spawn.connect(start_delivery_engine, dispatch_uid="delivery-engine")
        connect_receivers()
