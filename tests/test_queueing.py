"""Publishing writes no task: it announces due deliveries (NOTIFY on PostgreSQL, delivered
at commit only), and the workers' due-time pollers, woken by it, wake their engines."""

import threading

import pytest
from django.db import connection, transaction
from django_q.models import OrmQ

from processes import stop_group, wait_for
from tests.cluster_helpers import start_cluster
from tests.factories import WebhookFactory
from tests.webhook_helpers import TRACK_PAYLOAD
from webhooks.choices import DeliveryStatus
from webhooks.due_poller import DueListener
from webhooks.event_types import NEWTRACK
from webhooks.models import Delivery
from webhooks.publish import publish

GUARD_S = 10  # only a failure guard: a passing run never waits this long
QUIET_S = 0.3  # how long to listen to be sure no announcement comes


def publish_to(webhook):
    return publish(
        station=webhook.station,
        event_type=NEWTRACK.name,
        payload=TRACK_PAYLOAD,
        webhooks=[webhook],
    )


@pytest.fixture
def listener():
    """A due-time poller's listener, already listening."""
    due = DueListener()
    assert due.wait(0)  # the first wait opens the connection and asks for a look
    yield due
    due.close()


@pytest.mark.django_db
def test_publishing_writes_no_task(queue_not_sync, capture_on_commit):
    with capture_on_commit(execute=True), transaction.atomic():
        publish_to(WebhookFactory())
    assert OrmQ.objects.count() == 0
    assert Delivery.objects.get().status == DeliveryStatus.PENDING


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_publish_is_announced_at_its_commit_and_never_if_rolled_back(queue_not_sync, listener):
    webhook = WebhookFactory()
    # a rolled-back publish is never announced
    with pytest.raises(RuntimeError), transaction.atomic():
        publish_to(webhook)
        raise RuntimeError("the change failed")
    assert not listener.wait(QUIET_S)
    # a committed one is, at its commit and not before
    with transaction.atomic():
        publish_to(webhook)
        assert not listener.wait(QUIET_S)
    assert listener.wait(GUARD_S)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_burst_of_announcements_makes_one_wake_up(queue_not_sync, listener):
    webhook = WebhookFactory()
    for _ in range(20):
        with transaction.atomic():
            publish_to(webhook)
    assert listener.wait(GUARD_S)
    assert not listener.wait(QUIET_S)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_listener_whose_connection_died_listens_again(queue_not_sync, listener):
    # given the listening connection is killed (a PostgreSQL restart, a network cut)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [listener._connection.info.backend_pid])
    # when it waits: its check of the quiet connection finds it dead, and it listens again
    assert not listener.wait(QUIET_S)
    assert listener.wait(0)  # reopened: asks for a look, for what it may have missed
    # then it hears the next announcement
    with transaction.atomic():
        publish_to(WebhookFactory())
    assert listener.wait(GUARD_S)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_open_publishing_transaction_holds_up_no_other_publisher(queue_not_sync, listener):
    # given a publisher's transaction that announced deliveries and stays open (a long
    # import script, say)
    webhook = WebhookFactory()
    published, release = threading.Event(), threading.Event()

    def long_publisher():
        try:
            with transaction.atomic():
                publish_to(webhook)
                published.set()
                release.wait(GUARD_S)
        finally:
            connection.close()

    thread = threading.Thread(target=long_publisher)
    thread.start()
    try:
        assert published.wait(GUARD_S)
        # when another publisher commits meanwhile
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '300ms'")
        with transaction.atomic():
            publish_to(webhook)
        # then it went through at once, and the pollers heard of it
        assert listener.wait(GUARD_S)
    finally:
        release.set()
        thread.join(GUARD_S)
    assert Delivery.objects.count() == 2


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_cluster_is_woken_by_each_publish(httpserver, queue_not_sync, broker_env):
    # given a running cluster whose pollers' timers would take a minute to look
    httpserver.expect_request("/hook").respond_with_data("ok")
    webhook = WebhookFactory(url=httpserver.url_for("/hook"))
    cluster = start_cluster(WEBHOOKS_DISPATCH_POLL_S="60", **broker_env)
    try:
        assert wait_for(lambda: OrmQ.objects.count() == 0, GUARD_S)  # the schedules ran
        # when changes are published one after another, each in its own transaction
        events = []
        for _ in range(20):
            with transaction.atomic():
                events.append(publish_to(webhook))
        # then each announcement woke the pollers, and every message was sent
        assert wait_for(lambda: len(httpserver.log) == len(events), GUARD_S)
    finally:
        stop_group(cluster)
    assert {request.headers["webhook-id"] for request, _ in httpserver.log} == {
        event.message_id for event in events
    }
    assert not Delivery.objects.exclude(status=DeliveryStatus.DELIVERED).exists()
