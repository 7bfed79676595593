"""A key only ever sees and changes its own station's data: another station's objects
are missing from lists, refused by id with 403, and cannot be linked (400)."""

import pytest

from stations.models import Broadcast, Program
from tests.factories import (
    PUSH_MODEL_FACTORIES,
    BroadcastFactory,
    CampaignFactory,
    ContactFactory,
    PresenterFactory,
    ProgramFactory,
    StationFactory,
)

pytestmark = pytest.mark.django_db

FACTORIES = {f"{model}s": factory for model, factory in PUSH_MODEL_FACTORIES.items()}


@pytest.fixture
def other_station():
    return StationFactory(name="Radio Elsewhere")


@pytest.mark.parametrize("path", FACTORIES)
def test_lists_show_only_the_keys_station(api_client, api_key, other_station, path):
    mine = FACTORIES[path](station=api_key.station)
    FACTORIES[path](station=other_station)
    listed = api_client.get(f"/api/v1/{path}/", {"deleted": "all"}).json()
    assert [o["id"] for o in listed["results"]] == [mine.pk]


@pytest.mark.parametrize("path", FACTORIES)
def test_another_stations_object_is_forbidden_for_every_method(api_client, other_station, path):
    # given
    theirs = FACTORIES[path](station=other_station)
    before = type(theirs).all_objects.filter(pk=theirs.pk).values().get()
    detail = f"/api/v1/{path}/{theirs.pk}/"
    # when
    answers = [
        api_client.get(detail),
        api_client.patch(detail, {"title": "mine now"}, format="json"),
        api_client.put(detail, {"title": "mine now"}, format="json"),
        api_client.delete(detail),
        api_client.post(f"{detail}recover/"),
    ]
    # then
    assert [a.status_code for a in answers] == [403] * 5
    assert answers[0].json() == {"detail": "This object belongs to another station."}
    assert type(theirs).all_objects.filter(pk=theirs.pk).values().get() == before


def test_another_stations_deleted_object_is_forbidden_too(api_client, other_station):
    theirs = ProgramFactory(station=other_station)
    theirs.delete()
    assert api_client.get(f"/api/v1/programs/{theirs.pk}/").status_code == 403


def test_an_id_nobody_has_is_404(api_client):
    response = api_client.get("/api/v1/programs/987654/")
    assert response.status_code == 404 and set(response.json()) == {"detail"}


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("programs", lambda o: {"title": "x", "presenters": [o["presenter"].pk]}, "presenters"),
        (
            "broadcasts",
            lambda o: {
                "title": "x",
                "program": o["program"].pk,
                "start": "2026-01-26T10:00:00Z",
                "stop": "2026-01-26T11:00:00Z",
            },
            "program",
        ),
        (
            "items",
            lambda o: {"title": "x", "broadcast": o["broadcast"].pk, "start": "2026-01-26T10:00Z"},
            "broadcast",
        ),
        (
            "items",
            lambda o: {
                "title": "x",
                "broadcast": o["my_broadcast"].pk,
                "campaign": o["campaign"].pk,
                "start": "2026-01-26T10:00Z",
            },
            "campaign",
        ),
        (
            "items",
            lambda o: {
                "title": "x",
                "broadcast": o["my_broadcast"].pk,
                "contacts": [o["contact"].pk],
                "start": "2026-01-26T10:00Z",
            },
            "contacts",
        ),
    ],
)
def test_linking_another_stations_object_is_a_400(
    api_client, api_key, other_station, path, body, field
):
    # given
    theirs = {
        "presenter": PresenterFactory(station=other_station),
        "program": ProgramFactory(station=other_station),
        "broadcast": BroadcastFactory(station=other_station),
        "campaign": CampaignFactory(station=other_station),
        "contact": ContactFactory(station=other_station),
        "my_broadcast": BroadcastFactory(station=api_key.station),
    }
    count_before = {m: m.all_objects.count() for m in (Program, Broadcast)}
    # when
    response = api_client.post(f"/api/v1/{path}/", body(theirs), format="json")
    # then
    assert response.status_code == 400
    assert "does not exist" in str(response.json()[field])
    assert {m: m.all_objects.count() for m in (Program, Broadcast)} == count_before


def test_filtering_by_another_stations_id_finds_nothing(api_client, api_key, other_station):
    theirs = BroadcastFactory(station=other_station)
    BroadcastFactory(station=api_key.station)
    listed = api_client.get("/api/v1/broadcasts/", {"program": theirs.program_id}).json()
    assert listed["count"] == 0
