"""Webhook endpoints, the outbox of events, deliveries and their attempts, one module per
concern:

- webhook: the Webhook (an endpoint and its options);
- outbox: Event -> Delivery -> DeliveryAttempt, and the push job counter;
- resync: manual resync jobs;
- stats: hourly outcome counters, the engine's running totals;
- alerts: alert policies and the outages they track;
- inbound: the inbound gateway's sources and every request they sent.
"""

from webhooks.models.alerts import AlertPolicy, AlertState
from webhooks.models.inbound import InboundRequest, InboundSource
from webhooks.models.outbox import (
    Delivery,
    DeliveryAttempt,
    Event,
    JobCounter,
    due_at,
    new_message_id,
    unleased_at,
)
from webhooks.models.resync import ACTIVE_RESYNC_STATUSES, ResyncJob
from webhooks.models.stats import DeliveryStat, EngineCounter
from webhooks.models.webhook import Webhook

__all__ = [
    "ACTIVE_RESYNC_STATUSES",
    "AlertPolicy",
    "AlertState",
    "Delivery",
    "DeliveryAttempt",
    "DeliveryStat",
    "EngineCounter",
    "Event",
    "InboundRequest",
    "InboundSource",
    "JobCounter",
    "ResyncJob",
    "Webhook",
    "due_at",
    "new_message_id",
    "unleased_at",
]
