"""Old deliveries are pruned in batches; pending ones and the dashboard numbers stay."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.utils import timezone
from django_q.models import Schedule

from tests.factories import WebhookFactory
from tests.webhook_helpers import publish_track, publish_track_unqueued
from webhooks.models import Delivery, DeliveryAttempt, DeliveryStat, Event
from webhooks.retention import prune_delivery_log
from webhooks.selectors import outcome_totals

pytestmark = pytest.mark.django_db


def test_prunes_expired_events_in_batches_and_keeps_pending_ones(
    httpserver, settings, capture_on_commit
):
    # given three old delivered events, one old pending one, and a recent one
    settings.WEBHOOKS_RETENTION_DAYS = 30
    httpserver.expect_request("/hook").respond_with_data("ok")
    webhook = WebhookFactory(url=httpserver.url_for("/hook"))
    old = [publish_track(webhook, capture_on_commit).event_id for _ in range(3)]
    recent = publish_track(webhook, capture_on_commit).event_id
    pending = publish_track_unqueued(webhook)  # last: a send task sends all that is due
    long_ago = timezone.now() - timedelta(days=31)
    Event.objects.filter(pk__in=[*old, pending.pk]).update(created_at=long_ago)
    totals_before = outcome_totals(now=timezone.now(), webhook=webhook)
    # when
    deleted = prune_delivery_log(batch_size=2)
    # then
    assert deleted == 3
    assert set(Event.objects.values_list("pk", flat=True)) == {pending.pk, recent}
    assert not Delivery.objects.filter(event_id__in=old).exists()
    assert not DeliveryAttempt.objects.filter(delivery__event_id__in=old).exists()
    assert outcome_totals(now=timezone.now(), webhook=webhook) == totals_before
    assert DeliveryStat.objects.get().delivered == 4


def test_the_prune_runs_on_a_schedule():
    # Transactional tests flush migration-made rows, so run the migration's function here.
    migration = importlib.import_module("webhooks.migrations.0006_retention")
    migration.create_prune_schedule(django_apps, None)
    migration.create_prune_schedule(django_apps, None)  # idempotent
    schedule = Schedule.objects.get(name="Prune the delivery log")
    assert schedule.func == "webhooks.tasks.prune_delivery_log"
    assert schedule.schedule_type == Schedule.HOURLY
