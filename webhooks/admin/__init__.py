"""Admin for webhooks and the delivery log, one module per admin (importing them
registers them); the pages behind their buttons and the dashboard are in `views`."""

from webhooks.admin import alert_policy, delivery, inbound, resync, system, webhook

__all__ = ["alert_policy", "delivery", "inbound", "resync", "system", "webhook"]
