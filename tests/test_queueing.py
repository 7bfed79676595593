"""Send tasks are queued only where no waiting task will send the fresh deliveries; with
the ORM broker, in the transaction that wrote them when none is waiting, and after its
commit if the task it counted on was taken meanwhile; nothing is locked."""

import threading

import pytest
from django.db import connection, transaction
from django_q.brokers import get_broker
from django_q.models import OrmQ

from tests.cluster_helpers import start_cluster, stop_cluster, wait_for
from tests.factories import WebhookFactory
from tests.webhook_helpers import TRACK_PAYLOAD
from webhooks import queueing
from webhooks.choices import DeliveryStatus, Trigger
from webhooks.models import Delivery
from webhooks.publish import publish

GUARD_S = 10  # only a failure guard: a passing run never waits this long


def publish_to(webhook):
    return publish(
        station=webhook.station,
        event_type=Trigger.NEWTRACK,
        payload=TRACK_PAYLOAD,
        webhooks=[webhook],
    )


@pytest.mark.django_db
def test_orm_broker_task_is_queued_with_the_deliveries_and_rolled_back_with_them(
    queue_not_sync,
):
    webhook = WebhookFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        publish_to(webhook)
        assert OrmQ.objects.count() == 1  # in the transaction, before any commit
        raise RuntimeError("the change failed")
    assert OrmQ.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("deliveries", "waiting", "tasks_after"), [(1, 0, 1), (1, 1, 1), (150, 1, 2), (5_000, 0, 2)]
)
def test_orm_broker_reuses_waiting_tasks(
    queue_not_sync, capture_on_commit, deliveries, waiting, tasks_after
):
    # given `waiting` send tasks nobody has taken yet
    for _ in range(waiting):
        queueing.queue_drain()

    # when `deliveries` due deliveries are written and committed
    with capture_on_commit(execute=True), transaction.atomic():
        queueing.queue_sending(deliveries)

    # then one task per 100 of them, at most one per worker, the waiting ones counted
    assert OrmQ.objects.count() == tasks_after


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("deliveries", "waiting", "queued"), [(1, 0, 1), (1, 1, 0), (150, 1, 1), (5_000, 0, 2)]
)
def test_after_commit_queueing_counts_waiting_tasks(
    monkeypatch, capture_on_commit, deliveries, waiting, queued
):
    # given the Redis broker's path (and sync mode's), with `waiting` tasks in the queue
    tasks = []
    monkeypatch.setattr(queueing, "queued_task_count", lambda: waiting)
    monkeypatch.setattr(queueing, "queue_drain", lambda: tasks.append("send"))

    # when `deliveries` due deliveries are written
    with capture_on_commit(execute=True), transaction.atomic():
        queueing.queue_sending(deliveries)
        assert tasks == []  # nothing before the commit

    # then only the missing tasks are queued
    assert len(tasks) == queued


@pytest.mark.django_db
def test_a_waiting_task_taken_before_the_commit_is_replaced_after_it(
    queue_not_sync, capture_on_commit
):
    # given a waiting send task, which a publisher counts on
    queueing.queue_drain()
    webhook = WebhookFactory()
    with capture_on_commit(execute=True), transaction.atomic():
        publish_to(webhook)
        assert OrmQ.objects.count() == 1  # no second task
        # when a worker takes that task before the publisher commits
        OrmQ.objects.all().delete()
    # then the publisher writes a task after its commit
    assert OrmQ.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_publishing_transaction_never_holds_up_the_cluster(queue_not_sync):
    # given a waiting send task, and a publisher's transaction that counted on it, still
    # open (a long import script, say)
    webhook = WebhookFactory()
    queueing.queue_drain()
    published, release = threading.Event(), threading.Event()

    def publisher():
        try:
            with transaction.atomic():
                publish_to(webhook)
                published.set()
                release.wait(GUARD_S)
        finally:
            connection.close()

    thread = threading.Thread(target=publisher)
    thread.start()
    try:
        assert published.wait(GUARD_S)
        # when the cluster's pusher takes the task meanwhile
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '300ms'")
        taken = get_broker().dequeue()
        # then it gets it at once (no lock to wait for)
        assert len(taken) == 1
    finally:
        release.set()
        thread.join(GUARD_S)
    connection.close()
    # and the publisher, seeing no task waiting after its commit, wrote one
    assert OrmQ.objects.exclude(pk=taken[0][0]).count() == 1


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_cluster_sends_what_publishers_queued_in_their_transactions(
    httpserver, queue_not_sync
):
    # given a running cluster whose due-time poller would take a minute to step in
    httpserver.expect_request("/hook").respond_with_data("ok")
    webhook = WebhookFactory(url=httpserver.url_for("/hook"))
    cluster = start_cluster(WEBHOOKS_DISPATCH_POLL_S="60")
    try:
        assert wait_for(lambda: OrmQ.objects.count() == 0, GUARD_S)  # the schedules ran
        # when changes are published one after another, each in its own transaction
        events = []
        for _ in range(20):
            with transaction.atomic():
                events.append(publish_to(webhook))
        # then the queued tasks send every one, the poller no part of it
        assert wait_for(lambda: len(httpserver.log) == len(events), GUARD_S)
    finally:
        stop_cluster(cluster)
    assert {request.headers["webhook-id"] for request, _ in httpserver.log} == {
        event.message_id for event in events
    }
    assert not Delivery.objects.exclude(status=DeliveryStatus.DELIVERED).exists()
