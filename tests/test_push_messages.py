"""Every create, update, delete and recover of the six push models sends exactly one
message, key for key as RadioManager's Push API shows it."""

import json

import pytest
from django.urls import reverse

from stations.actors import acting_as
from stations.models import Contact, Program
from tests.factories import (
    PUSH_MODEL_FACTORIES,
    BroadcastFactory,
    ContactFactory,
    PresenterFactory,
    ProgramFactory,
    StationFactory,
    WebhookFactory,
)
from webhooks.choices import DeliveryStatus
from webhooks.event_types import PUSH
from webhooks.models import Delivery, Event

pytestmark = pytest.mark.django_db

CONTRACT_KEYS = [
    "action",
    "model",
    "model_id",
    "job_id",
    "resync",
    "station_id",
    "user_id",
    "api_id",
]


def messages() -> list[dict]:
    return [json.loads(e.body) for e in Event.objects.filter(event_type=PUSH.name).order_by("id")]


@pytest.fixture
def station():
    return StationFactory()


@pytest.fixture
def push_webhook(station):
    return WebhookFactory(station=station, event_type=PUSH.name, url="http://127.0.0.1:9/push")


@pytest.mark.parametrize("model", PUSH_MODEL_FACTORIES)
def test_each_action_in_code_sends_one_message_in_the_documented_shape(
    model, station, push_webhook
):
    # given / when
    obj = PUSH_MODEL_FACTORIES[model](station=station)
    Event.objects.exclude(body__contains=f'"model":"{model}"').delete()  # related objects
    if hasattr(obj, "title"):
        obj.title = "Changed"
    else:
        obj.firstname = "Changed"
    obj.save()
    obj.delete()
    obj.recover()
    # then
    sent = messages()
    assert [m["action"] for m in sent] == ["create", "update", "delete", "recover"]
    job_ids = [m["job_id"] for m in sent]
    assert job_ids == sorted(job_ids) and len(set(job_ids)) == 4
    for message in sent:
        assert list(message) == CONTRACT_KEYS
        assert message == {
            "action": message["action"],
            "model": model,
            "model_id": obj.pk,
            "job_id": message["job_id"],
            "resync": False,
            "station_id": station.pk,
            "user_id": None,
            "api_id": None,
        }
        assert isinstance(message["model_id"], int) and isinstance(message["job_id"], int)


def test_a_save_that_changes_nothing_sends_nothing(station, push_webhook):
    program = ProgramFactory(station=station)
    program.save()
    reloaded = type(program).objects.get(pk=program.pk)
    reloaded.save()
    assert [m["action"] for m in messages()] == ["create"]


def test_rows_loaded_in_bulk_are_not_copied_yet_their_changes_still_count(
    station, push_webhook, django_assert_num_queries
):
    # given: a page of programs, loaded as a list page loads them
    ProgramFactory.create_batch(3, station=station)
    Event.objects.all().delete()
    listed = list(Program.objects.order_by("pk"))
    assert not any("_stored" in program.__dict__ for program in listed)  # no snapshot
    # when: one is saved unchanged (compared with its row), one changed
    with django_assert_num_queries(2):
        listed[0].save()  # the comparison with its row, then Django's UPDATE
    listed[1].title = "Changed"
    listed[1].save()
    # then
    assert [(m["action"], m["model_id"]) for m in messages()] == [("update", listed[1].pk)]


def test_a_change_made_before_a_deferred_field_loads_still_counts(station, push_webhook):
    program = ProgramFactory(station=station, description="Old")
    Event.objects.all().delete()
    loaded = Program.objects.only("title").get(pk=program.pk)
    loaded.title = "Renamed"
    assert loaded.description == "Old"  # loads the deferred field from the database
    loaded.save()
    assert [m["action"] for m in messages()] == ["update"]


def test_only_webhooks_watching_the_model_get_it(station):
    broadcasts_only = WebhookFactory(station=station, event_type=PUSH.name, models=["broadcast"])
    everything = WebhookFactory(station=station, event_type=PUSH.name, models=[])
    WebhookFactory(station=station, event_type=PUSH.name, enabled=False)
    ProgramFactory(station=station)
    program_event = Event.objects.get()
    assert [d.webhook for d in program_event.deliveries.all()] == [everything]
    BroadcastFactory(station=station, program=station.programs.get())
    broadcast_event = Event.objects.get(body__contains='"model":"broadcast"')
    assert {d.webhook for d in broadcast_event.deliveries.all()} == {broadcasts_only, everything}


def test_job_ids_increase_per_station_independently(push_webhook, station):
    other = StationFactory()
    WebhookFactory(station=other, event_type=PUSH.name)
    for _ in range(3):
        ContactFactory(station=station)
        ContactFactory(station=other)
    by_station = {}
    for message in messages():
        by_station.setdefault(message["station_id"], []).append(message["job_id"])
    assert by_station == {station.pk: [1, 2, 3], other.pk: [1, 2, 3]}


def test_api_key_actor_sets_api_id_and_not_user_id(station, push_webhook):
    with acting_as(api_key_id=42):
        ContactFactory(station=station)
    assert messages()[0]["api_id"] == 42 and messages()[0]["user_id"] is None


def test_linking_in_code_is_an_update_of_both_sides(station, push_webhook):
    program, presenter = ProgramFactory(station=station), PresenterFactory(station=station)
    Event.objects.all().delete()
    program.presenters.add(presenter)
    assert {(m["model"], m["action"]) for m in messages()} == {
        ("program", "update"),
        ("presenter", "update"),
    }


def test_queryset_delete_and_recover_send_one_message_per_row(station, push_webhook):
    contacts = ContactFactory.create_batch(3, station=station)
    Event.objects.all().delete()
    type(contacts[0]).objects.filter(station=station).delete()
    type(contacts[0]).all_objects.filter(station=station).recover()
    sent = messages()
    assert sorted((m["action"], m["model_id"]) for m in sent) == sorted(
        [("delete", c.pk) for c in contacts] + [("recover", c.pk) for c in contacts]
    )


def test_a_real_receiver_gets_the_message(httpserver, station, capture_on_commit):
    httpserver.expect_request("/push").respond_with_data("ok")
    WebhookFactory(
        station=station, event_type=PUSH.name, url=httpserver.url_for("/push"), key="k-1"
    )
    with capture_on_commit(execute=True):
        program = ProgramFactory(station=station)
    request, _ = httpserver.log[0]
    assert request.headers["api-key"] == "k-1"
    assert json.loads(request.get_data()) == {
        "action": "create",
        "model": "program",
        "model_id": program.pk,
        "job_id": 1,
        "resync": False,
        "station_id": station.pk,
        "user_id": None,
        "api_id": None,
    }


def test_debounce_collapses_updates_but_never_a_create_or_delete(station):
    webhook = WebhookFactory(station=station, event_type=PUSH.name, debounce_s=30)
    contact = ContactFactory(station=station)
    for name in ["A", "B", "C"]:
        contact.firstname = name
        contact.save()
    contact.delete()
    by_action = {}
    for delivery in Delivery.objects.filter(webhook=webhook).select_related("event"):
        body = json.loads(delivery.event.body)
        by_action.setdefault(body["action"], []).append((delivery.status, body["job_id"]))
    assert by_action["create"] == [(DeliveryStatus.PENDING, 1)]
    updates = sorted(by_action["update"], key=lambda u: u[1])
    assert [status for status, _ in updates] == [
        DeliveryStatus.SUPERSEDED,
        DeliveryStatus.SUPERSEDED,
        DeliveryStatus.PENDING,
    ]
    assert updates[-1][1] == 4  # the one that goes out carries the latest job_id
    assert [status for status, _ in by_action["delete"]] == [DeliveryStatus.PENDING]


# --- from the admin -----------------------------------------------------------------


def test_admin_add_change_delete_recover_are_attributed_to_the_operator(
    admin_client, admin_user, station, push_webhook
):
    # add
    admin_client.post(
        reverse("admin:stations_contact_add"),
        {"station": station.pk, "firstname": "Eva", "lastname": "Bakker", "field_values": "{}"},
    )
    contact = Contact.objects.get(firstname="Eva")
    change_url = reverse("admin:stations_contact_change", args=[contact.pk])
    # change without changes: nothing; with a change: one update
    form = {"station": station.pk, "firstname": "Eva", "lastname": "Bakker", "field_values": "{}"}
    admin_client.post(change_url, form)
    admin_client.post(change_url, {**form, "lastname": "de Bakker"})
    # delete, then recover with the action
    admin_client.post(reverse("admin:stations_contact_delete", args=[contact.pk]), {"post": "yes"})
    admin_client.post(
        reverse("admin:stations_contact_changelist") + "?deleted=yes",
        {"action": "recover_selected", "_selected_action": [contact.pk]},
    )
    sent = messages()
    assert [m["action"] for m in sent] == ["create", "update", "delete", "recover"]
    assert {m["user_id"] for m in sent} == {admin_user.pk}
    assert {m["api_id"] for m in sent} == {None}


def test_admin_form_save_with_links_is_one_update(admin_client, station, push_webhook):
    program = ProgramFactory(station=station, title="Morning")
    presenter = PresenterFactory(station=station)
    Event.objects.all().delete()
    admin_client.post(
        reverse("admin:stations_program_change", args=[program.pk]),
        {
            "station": station.pk,
            "title": "Morning Show",
            "presenters": [presenter.pk],
            "field_values": "{}",
        },
    )
    sent = messages()
    assert [(m["model"], m["action"]) for m in sent] == [
        ("program", "update"),
        ("presenter", "update"),
    ]


def test_admin_bulk_delete_sends_one_message_per_object(admin_client, station, push_webhook):
    programs = ProgramFactory.create_batch(3, station=station)
    Event.objects.all().delete()
    admin_client.post(
        reverse("admin:stations_program_changelist"),
        {"action": "delete_selected", "_selected_action": [p.pk for p in programs], "post": "yes"},
    )
    assert sorted((m["action"], m["model_id"]) for m in messages()) == [
        ("delete", p.pk) for p in programs
    ]
