"""Fault: a change that fails half-way — a request whose view raises after the model was
saved, after its event was written, or whose database connection dies in between, a
worker's announcement of a reported play that fails after its event was written, and code
that saves a push model in a transaction that is rolled back.

On PostgreSQL with real commits (transactional tests): there is never an event without
its change nor a change without its event, and nothing reaches the receiver — while a
control change made right after goes through, proving the pipeline was live."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django_q.conf import Conf
from rest_framework.test import APIClient

from stations.admin.records import ProgramAdmin
from stations.api.serializers import ProgramSerializer
from stations.inbound import track_plays_announce
from stations.models import Program, TrackPlay
from tests.factories import ApiKeyFactory, WebhookFactory
from tests.faults.chaos_receiver import ChaosReceiver
from tests.faults.runs import print_summary
from tests.webhook_helpers import drain_until_settled
from webhooks import push, receivers
from webhooks.choices import DeliveryStatus
from webhooks.event_types import NEWTRACK, PUSH
from webhooks.models import Delivery, DeliveryAttempt, Event

pytestmark = [pytest.mark.postgres, pytest.mark.faults, pytest.mark.django_db(transaction=True)]


class HalfWay(Exception):
    """The failure injected half-way through a change."""


@pytest.fixture
def receiver():
    with ChaosReceiver() as running:
        yield running


@pytest.fixture
def api_key(receiver):
    key = ApiKeyFactory(station__name="Radio Example")
    WebhookFactory(station=key.station, url=receiver.url, event_type=PUSH.name)
    WebhookFactory(station=key.station, url=receiver.url, event_type=NEWTRACK.name)
    return key


@pytest.fixture
def api(api_key):
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_API_KEY=api_key.raw_key)
    return client


@pytest.fixture
def admin(api_key):
    user = get_user_model().objects.create_superuser("operator", "op@example.org", "pw")
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def written() -> dict[str, int]:
    return {
        "programs": Program.all_objects.count(),
        "track_plays": TrackPlay.objects.count(),
        "events": Event.objects.count(),
        "deliveries": Delivery.objects.count(),
    }


def assert_nothing_left_and_control_goes_through(fault, receiver, api, *, failed_requests):
    """Nothing of the failed change is stored or sent; then a control change is stored with
    its event, and its one message is what the receiver gets — the only one."""
    # then nothing was written and, once due deliveries are sent, nothing was sent
    assert written() == {"programs": 0, "track_plays": 0, "events": 0, "deliveries": 0}
    drain_until_settled()
    assert receiver.served == {}

    # and a control change right after goes through, with its one message
    response = api.post("/api/v1/programs/", {"title": "Control"}, format="json")
    assert response.status_code == 201, response.content
    drain_until_settled()
    control = Event.objects.get(model_id=response.json()["id"], event_type=PUSH.name)
    assert list(receiver.served) == [control.message_id]
    assert Delivery.objects.get().status == DeliveryStatus.DELIVERED
    print_summary(
        fault,
        deliveries=Delivery.objects.count(),
        attempts=DeliveryAttempt.objects.count(),
        lost=0,
        duplicates=receiver.requests_served() - len(receiver.served),
        failed_requests=failed_requests,
    )


def test_api_write_failing_after_the_save_leaves_nothing(receiver, api, monkeypatch):
    # given a serializer that fails right after the program is saved
    original_create = ProgramSerializer.create

    def save_then_fail(self, validated_data):
        original_create(self, validated_data)
        raise HalfWay("after the save")

    monkeypatch.setattr(ProgramSerializer, "create", save_then_fail)

    # when
    response = api.post("/api/v1/programs/", {"title": "Half done"}, format="json")

    # then
    assert response.status_code == 500
    monkeypatch.undo()
    assert_nothing_left_and_control_goes_through(
        "api_fails_after_save", receiver, api, failed_requests=1
    )


def test_api_write_failing_after_its_event_is_written_leaves_nothing(receiver, api, monkeypatch):
    # given push messages that fail right after they were written, before the commit
    original_publish = push.publish_push_changes
    published = []

    def publish_then_fail(changes, **kwargs):
        published.append(original_publish(changes, **kwargs))
        raise HalfWay("after the event")

    monkeypatch.setattr(push, "publish_push_changes", publish_then_fail)

    # when
    response = api.post("/api/v1/programs/", {"title": "Half done"}, format="json")

    # then the event had been written, and went with the change
    assert response.status_code == 500
    assert published == [1]
    monkeypatch.undo()
    assert_nothing_left_and_control_goes_through(
        "api_fails_after_event", receiver, api, failed_requests=1
    )


def test_api_write_whose_database_connection_dies_half_way_leaves_nothing(
    receiver, api, monkeypatch
):
    # given a serializer whose database session is killed right after the save
    original_create = ProgramSerializer.create

    def save_then_lose_the_connection(self, validated_data):
        program = original_create(self, validated_data)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return program

    monkeypatch.setattr(ProgramSerializer, "create", save_then_lose_the_connection)

    # when
    response = api.post("/api/v1/programs/", {"title": "Half done"}, format="json")

    # then the request failed, and the next one (the control) gets a new connection
    assert response.status_code == 500
    monkeypatch.undo()
    assert_nothing_left_and_control_goes_through(
        "api_connection_dies", receiver, api, failed_requests=1
    )


def test_admin_save_failing_after_the_model_is_saved_leaves_nothing(
    receiver, api, admin, api_key, monkeypatch
):
    # given an admin whose links step fails after the program itself was saved
    def fail_after_save(self, request, form, formsets, change):
        assert form.instance.pk is not None
        raise HalfWay("after save_model")

    monkeypatch.setattr(ProgramAdmin, "save_related", fail_after_save)

    # when
    response = admin.post(
        reverse("admin:stations_program_add"),
        {"station": api_key.station_id, "title": "Half done", "field_values": "{}"},
    )

    # then
    assert response.status_code == 500
    monkeypatch.undo()
    assert_nothing_left_and_control_goes_through(
        "admin_fails_after_save", receiver, api, failed_requests=1
    )


def test_a_plays_announcement_failing_after_its_event_is_written_leaves_it_pending(
    receiver, api, monkeypatch
):
    # given a play answered as in production (a worker raises its event afterwards)
    monkeypatch.setattr(Conf, "SYNC", False)
    response = api.post("/api/v1/studio/tracks/", {"title": "Hey Jude"}, format="json")
    assert response.status_code == 201
    # and the worker's announcement failing right after the event was written
    original_publish = receivers.publish_event

    def publish_then_fail(*args, **kwargs):
        assert original_publish(*args, **kwargs) is not None
        raise HalfWay("after the event")

    monkeypatch.setattr(receivers, "publish_event", publish_then_fail)

    # when
    with pytest.raises(HalfWay):
        track_plays_announce()

    # then the event went with the failure: the play waits for its event, nothing was sent
    assert written() == {"programs": 0, "track_plays": 1, "events": 0, "deliveries": 0}
    assert TrackPlay.objects.get().event_pending
    drain_until_settled()
    assert receiver.served == {}

    # when the next announcement runs, its one event is what the receiver gets
    monkeypatch.setattr(receivers, "publish_event", original_publish)
    assert track_plays_announce() == 1
    drain_until_settled()
    event = Event.objects.get()
    assert list(receiver.served) == [event.message_id]
    assert not TrackPlay.objects.get().event_pending
    print_summary(
        "announcement_fails_after_event",
        deliveries=Delivery.objects.count(),
        attempts=DeliveryAttempt.objects.count(),
        lost=0,
        duplicates=receiver.requests_served() - len(receiver.served),
        failed_announcements=1,
    )


def test_push_model_saved_in_a_rolled_back_transaction_sends_nothing(receiver, api_key):
    # when code saves a push model in a transaction that fails
    with pytest.raises(HalfWay), transaction.atomic():
        Program.objects.create(station=api_key.station, title="Rolled back")
        raise HalfWay("before the commit")

    # then neither the row nor a message is left
    drain_until_settled()
    assert written() == {"programs": 0, "track_plays": 0, "events": 0, "deliveries": 0}
    assert receiver.served == {}

    # when a transaction commits a change but rolls back a savepoint with another
    with transaction.atomic():
        kept = Program.objects.create(station=api_key.station, title="Kept")
        with pytest.raises(HalfWay), transaction.atomic():
            Program.objects.create(station=api_key.station, title="Savepoint rolled back")
            raise HalfWay("in the savepoint")

    # then only the committed change is there, with its one message, delivered
    drain_until_settled()
    assert list(Program.all_objects.values_list("title", flat=True)) == ["Kept"]
    kept_event = Event.objects.get()
    assert kept_event.model_id == kept.pk
    assert list(receiver.served) == [kept_event.message_id]
    assert Delivery.objects.get().status == DeliveryStatus.DELIVERED
    print_summary(
        "code_rolled_back",
        deliveries=Delivery.objects.count(),
        attempts=DeliveryAttempt.objects.count(),
        lost=0,
        duplicates=receiver.requests_served() - len(receiver.served),
        failed_transactions=2,
    )
