"""The due-time poller: in worker processes only, once each; it queues send tasks for due
deliveries and sends those overdue by a lease itself (a stuck task queue)."""

import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import WebhookFactory
from tests.webhook_helpers import publish_track_unqueued
from webhooks import queueing
from webhooks.choices import DeliveryStatus
from webhooks.delivery import lease_s
from webhooks.dispatch import poll_once, start_due_delivery_poller
from webhooks.models import Delivery


def test_no_poller_thread_in_sync_mode():
    # The test settings run django-q2 in sync mode, where post_spawn fires per task.
    start_due_delivery_poller()
    start_due_delivery_poller()
    assert not [t for t in threading.enumerate() if t.name == "due-delivery-poller"]


@pytest.fixture
def stuck_queue(monkeypatch):
    """A task queue that takes no work: drain tasks are queued and never run."""
    queued = []
    monkeypatch.setattr(queueing, "_queue_drain", lambda: queued.append("drain"))
    monkeypatch.setattr(queueing, "queued_task_count", lambda: 0)
    return queued


def due_delivery(httpserver, *, due_for_s: float) -> Delivery:
    httpserver.expect_request("/hook").respond_with_data("ok")
    sent = publish_track_unqueued(WebhookFactory(url=httpserver.url_for("/hook")))
    delivery = sent.deliveries.get()
    Delivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=due_for_s)
    )
    return delivery


@pytest.mark.django_db
def test_a_poll_queues_a_drain_for_a_delivery_just_due(httpserver, stuck_queue):
    # given
    delivery = due_delivery(httpserver, due_for_s=1)

    # when
    poll_once()

    # then the queue is asked to send it, and the poller leaves it to the queue
    assert stuck_queue == ["drain"]
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING and not httpserver.log


@pytest.mark.django_db
def test_a_poll_sends_deliveries_overdue_by_a_lease_itself(httpserver, stuck_queue):
    # given a delivery due for longer than a lease: the queue is not taking work
    delivery = due_delivery(httpserver, due_for_s=lease_s() + 1)

    # when
    poll_once()

    # then the poller sent it from its own thread
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and len(httpserver.log) == 1


@pytest.mark.django_db
def test_a_poll_with_nothing_due_queues_nothing(stuck_queue):
    publish_track_unqueued(WebhookFactory())  # due in the future: not yet
    Delivery.objects.update(next_attempt_at=timezone.now() + timedelta(seconds=60))

    poll_once()

    assert stuck_queue == []
