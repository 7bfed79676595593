from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self):
        from django_q.signals import post_spawn

        from webhooks.dispatch import start_due_delivery_poller
        from webhooks.push import connect_receivers

        post_spawn.connect(start_due_delivery_poller, dispatch_uid="due-delivery-poller")
        connect_receivers()
