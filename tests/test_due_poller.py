"""The due-time poller and the engine it wakes run in worker processes only, once each;
the minutely sweep (a django-q2 task) sends what is due in django-q2's sync mode."""

import threading

import pytest

from tests.factories import WebhookFactory
from tests.webhook_helpers import publish_track_unqueued
from webhooks import tasks
from webhooks.choices import DeliveryStatus
from webhooks.due_poller import running_sender, start_delivery_engine


def test_no_engine_and_no_poller_thread_in_sync_mode():
    # The test settings run django-q2 in sync mode, where post_spawn fires per task.
    start_delivery_engine()
    start_delivery_engine()
    names = {t.name for t in threading.enumerate()}
    assert not names & {"due-delivery-poller", "delivery-engine", "delivery-sends"}
    assert running_sender() is None


@pytest.mark.django_db
def test_the_sweep_sends_what_is_due_in_sync_mode(httpserver):
    # given a due delivery whose announcement was lost
    httpserver.expect_request("/hook").respond_with_data("ok")
    sent = publish_track_unqueued(WebhookFactory(url=httpserver.url_for("/hook")))
    # when the minutely sweep runs
    assert tasks.drain_due_deliveries() == 1
    # then it was sent
    assert sent.deliveries.get().status == DeliveryStatus.DELIVERED
