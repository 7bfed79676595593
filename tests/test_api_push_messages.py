"""Changes made through the REST API send push messages attributed to the API key."""

import json

import pytest

from tests.factories import PresenterFactory, ProgramFactory, WebhookFactory
from webhooks.event_types import PUSH
from webhooks.models import Event

pytestmark = pytest.mark.django_db


def _messages() -> list[dict]:
    return [json.loads(e.body) for e in Event.objects.filter(event_type=PUSH.name).order_by("id")]


@pytest.fixture
def push_webhook(api_key):
    return WebhookFactory(station=api_key.station, event_type=PUSH.name)


def test_create_update_delete_recover_through_the_api(api_client, api_key, push_webhook):
    # when
    created = api_client.post(
        "/api/v1/contacts/", {"firstname": "Eva", "lastname": "Bakker"}, format="json"
    )
    contact_id = created.json()["id"]
    api_client.patch(f"/api/v1/contacts/{contact_id}/", {"lastname": "de Bakker"}, format="json")
    api_client.patch(f"/api/v1/contacts/{contact_id}/", {"lastname": "de Bakker"}, format="json")
    api_client.delete(f"/api/v1/contacts/{contact_id}/")
    api_client.post(f"/api/v1/contacts/{contact_id}/recover/")
    # then: one message per change (the no-op patch sends none), all from the key
    sent = _messages()
    assert [m["action"] for m in sent] == ["create", "update", "delete", "recover"]
    for message in sent:
        assert message == {
            "action": message["action"],
            "model": "contact",
            "model_id": contact_id,
            "job_id": message["job_id"],
            "resync": False,
            "station_id": api_key.station_id,
            "user_id": None,
            "api_id": api_key.pk,
        }


def test_a_create_with_links_is_one_create(api_client, api_key, push_webhook):
    presenter = PresenterFactory(station=api_key.station)
    Event.objects.all().delete()
    response = api_client.post(
        "/api/v1/programs/", {"title": "Morning Show", "presenters": [presenter.pk]}, format="json"
    )
    assert response.status_code == 201, response.content
    assert [(m["model"], m["action"]) for m in _messages()] == [
        ("program", "create"),
        ("presenter", "update"),
    ]


def test_a_rejected_write_sends_nothing(api_client, api_key, push_webhook):
    program = ProgramFactory(station=api_key.station)
    Event.objects.all().delete()
    response = api_client.patch(f"/api/v1/programs/{program.pk}/", {"title": ""}, format="json")
    assert response.status_code == 400
    assert _messages() == []
