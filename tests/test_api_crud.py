"""CRUD for the six push models through /api/v1/: lifecycle with soft delete and recover,
relations, validation, filters, pagination, ordering, and the queries a list costs."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db.models.signals import post_save

from stations.actors import Actor, current_actor
from stations.models import Broadcast, Campaign, Contact, Item, Presenter, Program
from tests.factories import (
    BroadcastFactory,
    CampaignFactory,
    ContactFactory,
    ItemFactory,
    PresenterFactory,
    ProgramFactory,
)

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 1, 26, tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _new_program(station):
    return {"title": "Morning Show", "genre": "talk"}, {"title": "Breakfast Show"}


def _new_broadcast(station):
    program = ProgramFactory(station=station)
    start = MONDAY + timedelta(hours=7)
    body = {
        "program": program.pk,
        "title": "Morning Show",
        "start": _iso(start),
        "stop": _iso(start + timedelta(hours=2)),
    }
    return body, {"title": "Morning Show (live)"}


def _new_item(station):
    broadcast = BroadcastFactory(station=station)
    body = {
        "broadcast": broadcast.pk,
        "title": "Hey Jude",
        "duration": 431,
        "start": _iso(broadcast.start),
    }
    return body, {"status": "played"}


def _new_presenter(station):
    return {"firstname": "Ann", "lastname": "Lee", "name": "DJ Ann"}, {"active": False}


def _new_contact(station):
    return {"firstname": "Bo", "lastname": "Ek", "email": "bo@example.org"}, {"phone": "+46 1"}


def _new_campaign(station):
    body = {
        "title": "Spring sale",
        "start": _iso(MONDAY),
        "stop": _iso(MONDAY + timedelta(days=14)),
    }
    return body, {"recommended": True}


MODELS = {
    "programs": (Program, _new_program),
    "broadcasts": (Broadcast, _new_broadcast),
    "items": (Item, _new_item),
    "presenters": (Presenter, _new_presenter),
    "contacts": (Contact, _new_contact),
    "campaigns": (Campaign, _new_campaign),
}


@pytest.mark.parametrize("path", MODELS)
def test_lifecycle_create_read_update_delete_recover(api_client, api_key, path):
    model, new = MODELS[path]
    body, change = new(api_key.station)
    base = f"/api/v1/{path}/"

    # create
    created = api_client.post(base, body, format="json")
    assert created.status_code == 201, created.json()
    obj_id = created.json()["id"]
    obj = model.objects.get(pk=obj_id)
    assert obj.station == api_key.station
    assert created.json()["station_id"] == api_key.station.pk
    assert created.json()["deleted_at"] is None
    detail = f"{base}{obj_id}/"

    # read
    assert api_client.get(detail).json() == created.json()

    # partial update
    patched = api_client.patch(detail, change, format="json")
    assert patched.status_code == 200, patched.json()
    assert patched.json().items() >= change.items()

    # full update
    replaced = api_client.put(detail, body, format="json")
    assert replaced.status_code == 200, replaced.json()

    # soft delete: gone from the list, still there by id, marked
    assert api_client.delete(detail).status_code == 204
    assert model.all_objects.filter(pk=obj_id, deleted_at__isnull=False).exists()
    assert obj_id not in [o["id"] for o in api_client.get(base).json()["results"]]
    deleted = api_client.get(detail)
    assert deleted.status_code == 200 and deleted.json()["deleted_at"] is not None
    assert api_client.delete(detail).status_code == 204  # deleting again changes nothing

    # a deleted object cannot be changed until recovered
    refused = api_client.patch(detail, change, format="json")
    assert refused.status_code == 409 and "recover" in refused.json()["detail"]

    # recover
    recovered = api_client.post(f"{detail}recover/")
    assert recovered.status_code == 200 and recovered.json()["deleted_at"] is None
    assert obj_id in [o["id"] for o in api_client.get(base).json()["results"]]


@pytest.fixture
def actors_seen():
    """The actor in force whenever a push model is saved."""
    seen: list[Actor] = []

    def record(sender, **kwargs):
        if sender in {Program, Broadcast, Item, Presenter, Contact, Campaign}:
            seen.append(current_actor())

    post_save.connect(record, weak=False)
    yield seen
    post_save.disconnect(record)


def test_every_write_runs_as_the_api_key(api_client, api_key, actors_seen):
    """Push messages take `api_id` from the actor; every API write must set it."""
    # when
    obj_id = api_client.post("/api/v1/programs/", {"title": "News"}, format="json").json()["id"]
    detail = f"/api/v1/programs/{obj_id}/"
    api_client.patch(detail, {"title": "News at 9"}, format="json")
    api_client.put(detail, {"title": "News at 10"}, format="json")
    api_client.delete(detail)
    api_client.post(f"{detail}recover/")
    # then
    assert actors_seen == [Actor(user_id=None, api_key_id=api_key.pk)] * 5
    assert current_actor() == Actor()


def test_relations_are_written_and_read_as_ids(api_client, api_key):
    # given
    station = api_key.station
    ann, bo = PresenterFactory(station=station), PresenterFactory(station=station)
    contact = ContactFactory(station=station)
    campaign = CampaignFactory(station=station)
    # when
    program = api_client.post(
        "/api/v1/programs/", {"title": "Jazz", "presenters": [ann.pk, bo.pk]}, format="json"
    ).json()
    broadcast = api_client.post(
        "/api/v1/broadcasts/",
        {
            "program": program["id"],
            "title": "Jazz",
            "start": "2026-01-26T20:00:00Z",
            "stop": "2026-01-26T22:00:00Z",
            "presenters": [ann.pk],
        },
        format="json",
    ).json()
    item = api_client.post(
        "/api/v1/items/",
        {
            "broadcast": broadcast["id"],
            "campaign": campaign.pk,
            "contacts": [contact.pk],
            "title": "Ad",
            "duration": 30,
            "start": "2026-01-26T20:30:00Z",
        },
        format="json",
    ).json()
    # then
    assert sorted(program["presenters"]) == sorted([ann.pk, bo.pk])
    assert broadcast["program"] == program["id"] and broadcast["presenters"] == [ann.pk]
    assert item["campaign"] == campaign.pk and item["contacts"] == [contact.pk]
    assert item["stop"] == "2026-01-26T20:30:30Z"
    assert set(Program.objects.get(pk=program["id"]).presenters.all()) == {ann, bo}


def test_deleted_related_objects_are_left_out_and_cannot_be_linked(api_client, api_key):
    # given
    station = api_key.station
    live, gone = PresenterFactory(station=station), PresenterFactory(station=station)
    program = ProgramFactory(station=station)
    program.presenters.set([live, gone])
    gone.delete()
    # then
    shown = api_client.get(f"/api/v1/programs/{program.pk}/").json()
    assert shown["presenters"] == [live.pk]
    refused = api_client.patch(
        f"/api/v1/programs/{program.pk}/", {"presenters": [gone.pk]}, format="json"
    )
    assert refused.status_code == 400 and "presenters" in refused.json()


def test_an_object_may_keep_pointing_at_its_deleted_program(api_client, api_key):
    """A receiver that fetches a broadcast and PUTs it back must not get a 400 because
    its program was deleted meanwhile; pointing a broadcast at it anew is refused."""
    # given
    broadcast = BroadcastFactory(station=api_key.station)
    body = api_client.get(f"/api/v1/broadcasts/{broadcast.pk}/").json()
    broadcast.program.delete()
    # when
    kept = api_client.put(f"/api/v1/broadcasts/{broadcast.pk}/", body, format="json")
    other = BroadcastFactory(station=api_key.station)
    moved = api_client.patch(
        f"/api/v1/broadcasts/{other.pk}/", {"program": broadcast.program_id}, format="json"
    )
    # then
    assert kept.status_code == 200
    assert moved.status_code == 400 and "program" in moved.json()


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("programs", {}, "title"),
        ("programs", {"title": "x" * 201}, "title"),
        ("programs", {"title": "ok", "website": "not a url"}, "website"),
        ("contacts", {"firstname": "Bo"}, "lastname"),
        ("campaigns", {"title": "c", "start": "2026-01-26T10:00:00Z"}, "stop"),
        (
            "campaigns",
            {"title": "c", "start": "2026-01-26T10:00:00Z", "stop": "2026-01-26T10:00:00Z"},
            "stop",
        ),
        ("campaigns", {"title": "c", "start": "yesterday", "stop": "2026-01-26T10:00Z"}, "start"),
        ("presenters", {"field_values": ["not", "an", "object"]}, "field_values"),
        ("presenters", {"field_values": {"a": "nul\x00"}}, "field_values"),
    ],
)
def test_invalid_input_is_a_400_naming_the_field(api_client, path, body, field):
    response = api_client.post(f"/api/v1/{path}/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_broadcast_stop_must_follow_start_also_on_partial_update(api_client, api_key):
    broadcast = BroadcastFactory(station=api_key.station)
    response = api_client.patch(
        f"/api/v1/broadcasts/{broadcast.pk}/",
        {"stop": _iso(broadcast.start - timedelta(minutes=1))},
        format="json",
    )
    assert response.status_code == 400 and "stop" in response.json()


@pytest.mark.parametrize("duration", [-1, 2**31, "long"])
def test_item_duration_must_be_a_sane_number_of_seconds(api_client, api_key, duration):
    broadcast = BroadcastFactory(station=api_key.station)
    body = {"broadcast": broadcast.pk, "title": "x", "start": _iso(MONDAY), "duration": duration}
    response = api_client.post("/api/v1/items/", body, format="json")
    assert response.status_code == 400 and "duration" in response.json()


def test_item_whose_end_would_overflow_the_calendar_is_a_400(api_client, api_key):
    broadcast = BroadcastFactory(station=api_key.station)
    body = {
        "broadcast": broadcast.pk,
        "title": "x",
        "start": "9999-12-31T23:00:00Z",
        "duration": 2**31 - 1,
    }
    response = api_client.post("/api/v1/items/", body, format="json")
    assert response.status_code == 400 and "duration" in response.json()


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [o["id"] for o in response.json()["results"]]


def test_schedule_filters_on_broadcasts(api_client, api_key):
    # given
    station = api_key.station
    news, jazz = ProgramFactory(station=station), ProgramFactory(station=station)
    ann = PresenterFactory(station=station)
    early = BroadcastFactory(station=station, program=news, start=MONDAY)
    noon = BroadcastFactory(station=station, program=jazz, start=MONDAY + timedelta(hours=12))
    late = BroadcastFactory(station=station, program=news, start=MONDAY + timedelta(hours=22))
    noon.presenters.add(ann)
    # then
    base = "/api/v1/broadcasts/"
    assert _ids(api_client.get(base)) == [early.pk, noon.pk, late.pk]
    assert _ids(api_client.get(base, {"program": news.pk})) == [early.pk, late.pk]
    assert _ids(api_client.get(base, {"presenter": ann.pk})) == [noon.pk]
    window = {"start_min": "2026-01-26T06:00:00Z", "start_max": "2026-01-26T22:00:00Z"}
    assert _ids(api_client.get(base, window)) == [noon.pk, late.pk]
    local = {"start_min": "2026-01-26T13:00:00+01:00"}  # 12:00 UTC
    assert _ids(api_client.get(base, local)) == [noon.pk, late.pk]
    assert _ids(api_client.get(base, {"ordering": "-start"})) == [late.pk, noon.pk, early.pk]


def test_schedule_filters_on_items(api_client, api_key):
    # given
    station = api_key.station
    first, second = BroadcastFactory(station=station), BroadcastFactory(station=station)
    campaign, contact = CampaignFactory(station=station), ContactFactory(station=station)
    played = ItemFactory(station=station, broadcast=first, status="played")
    ad = ItemFactory(
        station=station, broadcast=first, campaign=campaign, start=first.start + timedelta(1)
    )
    other = ItemFactory(station=station, broadcast=second, external_id="rivendell-42")
    ad.contacts.add(contact)
    # then
    base = "/api/v1/items/"
    assert _ids(api_client.get(base, {"broadcast": first.pk})) == [played.pk, ad.pk]
    assert _ids(api_client.get(base, {"program": second.program_id})) == [other.pk]
    assert _ids(api_client.get(base, {"status": "played"})) == [played.pk]
    assert _ids(api_client.get(base, {"campaign": campaign.pk})) == [ad.pk]
    assert _ids(api_client.get(base, {"contact": contact.pk})) == [ad.pk]
    assert _ids(api_client.get(base, {"external_id": "rivendell-42"})) == [other.pk]
    assert api_client.get(base, {"status": "paused"}).status_code == 400


def test_filters_on_presenters_contacts_and_campaigns(api_client, api_key):
    # given
    station = api_key.station
    program, ann, bo = (
        ProgramFactory(station=station),
        PresenterFactory(station=station),
        PresenterFactory(station=station, active=False),
    )
    program.presenters.add(ann)
    item = ItemFactory(station=station)
    contact, _ = ContactFactory(station=station), ContactFactory(station=station)
    item.contacts.add(contact)
    spring = CampaignFactory(station=station, start=MONDAY)
    autumn = CampaignFactory(station=station, start=MONDAY + timedelta(days=200))
    # then
    assert _ids(api_client.get("/api/v1/presenters/", {"program": program.pk})) == [ann.pk]
    assert _ids(api_client.get("/api/v1/presenters/", {"active": "false"})) == [bo.pk]
    assert _ids(api_client.get("/api/v1/contacts/", {"item": item.pk})) == [contact.pk]
    window = {"start_min": _iso(MONDAY + timedelta(days=100))}
    assert _ids(api_client.get("/api/v1/campaigns/", window)) == [autumn.pk]
    assert _ids(api_client.get("/api/v1/campaigns/", {"ordering": "-start"})) == [
        autumn.pk,
        spring.pk,
    ]


def test_lists_show_deleted_objects_only_when_asked(api_client, api_key):
    # given
    live = ProgramFactory(station=api_key.station, title="A live")
    gone = ProgramFactory(station=api_key.station, title="B gone")
    gone.delete()
    # then
    base = "/api/v1/programs/"
    assert _ids(api_client.get(base)) == [live.pk]
    assert _ids(api_client.get(base, {"deleted": "false"})) == [live.pk]
    assert _ids(api_client.get(base, {"deleted": "true"})) == [gone.pk]
    assert _ids(api_client.get(base, {"deleted": "all"})) == [live.pk, gone.pk]
    assert api_client.get(base, {"deleted": "maybe"}).status_code == 400


def test_changed_since_filter(api_client, api_key):
    old = ProgramFactory(station=api_key.station)
    Program.all_objects.filter(pk=old.pk).update(updated_at=MONDAY)
    new = ProgramFactory(station=api_key.station)
    since = {"updated_min": _iso(MONDAY + timedelta(days=1))}
    assert _ids(api_client.get("/api/v1/programs/", since)) == [new.pk]


def test_pagination(api_client, api_key):
    # given
    for n in range(7):
        ProgramFactory(station=api_key.station, title=f"Program {n}")
    # when
    first = api_client.get("/api/v1/programs/", {"page_size": 3}).json()
    last = api_client.get("/api/v1/programs/", {"page_size": 3, "page": 3}).json()
    # then
    assert first["count"] == 7 and len(first["results"]) == 3
    assert "page=2" in first["next"] and first["previous"] is None
    assert len(last["results"]) == 1 and last["next"] is None
    assert api_client.get("/api/v1/programs/", {"page": 9}).status_code == 404


@pytest.mark.parametrize(
    ("path", "make", "queries"),
    [
        # key lookup, count, page, presenters of the page
        ("programs", lambda station: ProgramFactory(station=station), 4),
        ("broadcasts", lambda station: BroadcastFactory(station=station), 4),
        # key lookup, count, page, contacts of the page
        ("items", lambda station: ItemFactory(station=station), 4),
        ("presenters", lambda station: PresenterFactory(station=station), 3),
        ("contacts", lambda station: ContactFactory(station=station), 3),
        ("campaigns", lambda station: CampaignFactory(station=station), 3),
    ],
)
def test_list_queries_do_not_grow_with_the_page(
    api_client, api_key, django_assert_num_queries, path, make, queries
):
    # given: the key's use was recorded already (that write happens once a minute)
    api_client.get(f"/api/v1/{path}/")
    for _ in range(3):
        make(api_key.station)
    with django_assert_num_queries(queries):
        assert len(api_client.get(f"/api/v1/{path}/").json()["results"]) == 3
    for _ in range(20):
        make(api_key.station)
    # then
    with django_assert_num_queries(queries):
        assert len(api_client.get(f"/api/v1/{path}/").json()["results"]) == 23
